# The audit log and the calendar corrections move here from participants: the tables stay as they are
# (participants_auditlog, participants_calendarday); only Django's model state changes apps.

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('participants', '0002_audit_person_ids_gin'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CalendarDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='дата')),
                        ('is_working', models.BooleanField(verbose_name='рабочий день')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='основание')),
                    ],
                    options={
                        'verbose_name': 'исключение производственного календаря',
                        'verbose_name_plural': 'производственный календарь: исключения',
                        'ordering': ['date'],
                        'db_table': 'participants_calendarday',
                    },
                ),
                migrations.CreateModel(
                    name='AuditLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='когда')),
                        ('action', models.CharField(choices=[('VIEW', 'просмотр карточки'), ('SEARCH', 'поиск'), ('LIST', 'просмотр списка'), ('EXPORT', 'выгрузка'), ('UPDATE', 'изменение'), ('IMPORT', 'загрузка')], max_length=10, verbose_name='действие')),
                        ('object_type', models.CharField(default='person', max_length=50, verbose_name='объект')),
                        ('person_ids', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), blank=True, default=list, size=None, verbose_name='лица')),
                        ('person_count', models.PositiveIntegerField(default=0, verbose_name='число лиц')),
                        ('query', models.JSONField(blank=True, default=dict, verbose_name='параметры')),
                        ('path', models.CharField(blank=True, max_length=500, verbose_name='адрес')),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP-адрес')),
                        ('channel', models.CharField(default='web', max_length=10, verbose_name='канал')),
                        ('reason', models.CharField(blank=True, max_length=300, verbose_name='основание')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='кто')),
                        ('organization', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='participants.organization', verbose_name='организация')),
                    ],
                    options={
                        'verbose_name': 'запись журнала доступа',
                        'verbose_name_plural': 'журнал доступа к персональным данным',
                        'ordering': ['-at'],
                        'db_table': 'participants_auditlog',
                        'indexes': [
                            models.Index(fields=['user', 'at'], name='audit_user_at'),
                            models.Index(fields=['organization', 'at'], name='audit_org_at'),
                            django.contrib.postgres.indexes.GinIndex(fields=['person_ids'], name='audit_person_ids_gin'),
                        ],
                    },
                ),
            ],
        ),
    ]

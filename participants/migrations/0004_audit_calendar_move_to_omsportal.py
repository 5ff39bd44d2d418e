# The audit log and the calendar corrections now belong to the omsportal app (see omsportal/migrations/0001):
# their tables stay; only the model state leaves participants.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0003_job_status_rejected'),
        ('omsportal', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='AuditLog'),
                migrations.DeleteModel(name='CalendarDay'),
            ],
        ),
    ]

"""The three shipped questionnaires [R II.14, R I.7.2 g] and the classifier of appeal topics, loaded by migrate
(the data are in surveys/shipped.py, plain constants)."""

from django.db import migrations


def load(apps, schema_editor):
    from surveys.shipped import load as load_shipped

    load_shipped(
        apps.get_model("surveys", "Questionnaire"),
        apps.get_model("surveys", "QuestionnaireVersion"),
        apps.get_model("surveys", "AppealTopic"),
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

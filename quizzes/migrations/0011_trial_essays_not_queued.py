"""Trial attempts' essays are never marked: clear the marking flag they were given."""

from django.db import migrations


def unqueue_trial_essays(apps, schema_editor):
    Response = apps.get_model("quizzes", "Response")
    Response.objects.filter(attempt__is_trial=True, needs_marking=True).update(needs_marking=False)


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0010_quiz_setting_ranges")]

    operations = [migrations.RunPython(unqueue_trial_essays, migrations.RunPython.noop)]

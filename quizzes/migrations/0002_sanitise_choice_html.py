"""Security hole 7 (issue 15): choice texts and feedback were saved unsanitised from the admin
and rendered as HTML. Sanitise the stored ones with the same nh3 policy the models now apply
on save (texts of choice and matching questions, every feedback)."""

from django.db import migrations

HTML_CHOICE_TYPES = ("multichoice", "multiresponse", "matching")


def sanitise_choices(apps, schema_editor):
    from quizzes.formats import sanitize_html

    Choice = apps.get_model("quizzes", "Choice")
    changed = []
    for choice in Choice.objects.select_related("question").iterator(chunk_size=2000):
        text, feedback = choice.text, choice.feedback
        choice.feedback = sanitize_html(feedback or "")
        if choice.question.qtype in HTML_CHOICE_TYPES:
            choice.text = sanitize_html(text or "")
        if (choice.text, choice.feedback) != (text, feedback):
            changed.append(choice)
    Choice.objects.bulk_update(changed, ["text", "feedback"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0001_initial")]

    operations = [migrations.RunPython(sanitise_choices, migrations.RunPython.noop)]

"""A trainer's "try this quiz" attempt (试做), counted nowhere."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0008_question_rich_text_rubric"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="is_trial",
            field=models.BooleanField(default=False, editable=False, verbose_name="试做"),
        ),
    ]

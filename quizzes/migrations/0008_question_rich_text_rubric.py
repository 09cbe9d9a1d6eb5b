"""The question editor edits the stem and explanation in Draftail (no "（HTML）" in the labels;
stored HTML is unchanged and still read as is) and gains an essay rubric for markers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0007_question_versions_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="rubric",
            field=models.TextField(
                blank=True,
                help_text="论述题：给阅卷人看的评分标准，学员看不到。",
                verbose_name="评分要点",
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="explanation",
            field=models.TextField(blank=True, verbose_name="解析"),
        ),
        migrations.AlterField(
            model_name="question",
            name="text",
            field=models.TextField(verbose_name="题干"),
        ),
    ]

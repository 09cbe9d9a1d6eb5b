"""Version 1 of every existing question, and every existing response pinned to it.

Responses recorded before versions existed are pinned to the question as it is at this
migration (the best record there is of what they showed)."""

from django.db import migrations
from django.utils import timezone

from quizzes.versions import digest, key_of, snapshot


def create_versions(apps, schema_editor):
    Question = apps.get_model("quizzes", "Question")
    QuestionVersion = apps.get_model("quizzes", "QuestionVersion")
    Response = apps.get_model("quizzes", "Response")
    now = timezone.now()
    for question in Question.objects.prefetch_related("choices").iterator(chunk_size=500):
        if QuestionVersion.objects.filter(question_id=question.pk).exists():
            continue
        content = snapshot(question, list(question.choices.all()))
        version = QuestionVersion.objects.create(
            question_id=question.pk,
            number=1,
            content=content,
            content_hash=digest(content),
            key_hash=digest(key_of(content)),
            created_at=now,
        )
        Response.objects.filter(question_id=question.pk, version__isnull=True).update(
            version=version, graded_version=version
        )


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0006_question_versions")]

    operations = [migrations.RunPython(create_versions, migrations.RunPython.noop)]

"""Background tasks of the quizzes (django_tasks; the immediate backend runs them inline in
dev and tests)."""

from django_tasks import task


@task()
def regrade_question_task(question_id: int, version_id: int, actor_id: int | None) -> int:
    """Regrade the past attempts of a question against a version's key (a large regrade
    started in the admin). Returns the number of attempts whose score changed."""
    from django.contrib.auth import get_user_model

    from .models import Question, QuestionVersion
    from .regrading import apply_regrade

    question = Question.objects.get(pk=question_id)
    version = QuestionVersion.objects.get(pk=version_id, question=question)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return len(apply_regrade(question, actor, target=version).changes)

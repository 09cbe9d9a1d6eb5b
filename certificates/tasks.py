"""Background tasks (django_tasks; the immediate backend runs them inline in dev and tests)."""

from django.contrib.auth import get_user_model
from django_tasks import task


@task()
def issue_certificate_task(user_id: int, course_id: int) -> int | None:
    from courses.models import CoursePage

    from .issuing import NotEligible, issue

    user = get_user_model().objects.get(pk=user_id)
    course = CoursePage.objects.get(pk=course_id)
    try:
        return issue(user, course).pk
    except NotEligible:  # e.g. a stale or replayed completion: nothing to certify
        return None


@task()
def build_batch_task(batch_id: int) -> str:
    from .exports import build_batch

    return build_batch(batch_id).status


def on_course_completed(sender, enrollment=None, user=None, course=None, **kwargs):
    """Receiver of courses.completion.course_completed (sent after commit)."""
    issue_certificate_task.enqueue(user.pk, course.pk)

"""Nobody grants themselves a pass or a certificate through an admin power:

* a district administrator holds certificates of their own district; ``change_certificate``
  let them reinstate their own certificate revoked by the city (e.g. for cheating), and be
  authorised again;
* a trainer (``quizzes.mark_attempt``) who takes a course quiz could mark their own essay to a
  pass (and so to a certificate).
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from certificates import is_authorised, reinstate, revoke
from certificates.models import Certificate
from lms.organisation import roles
from quizzes import attempts as svc
from quizzes.models import Attempt, Response
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user
from tests.quizzes.test_attempts import answer_all_correct
from tests.quizzes.utils import make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def training_index(db):
    from wagtail.models import Page

    from courses.models import TrainingIndexPage

    index = TrainingIndexPage(title="培训", slug="training-self-grants")
    Page.get_first_root_node().add_child(instance=index)
    return index


def _run(django_capture_on_commit_callbacks, func, *args):
    with django_capture_on_commit_callbacks(execute=True):
        return func(*args)


def test_district_admin_cannot_reinstate_their_own_revoked_certificate(
    training_index, django_capture_on_commit_callbacks
):
    course = course_with_quiz(training_index, "IP-101")
    holder = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_admin_cheat")
    _run(django_capture_on_commit_callbacks, read_all, holder, course)
    _run(django_capture_on_commit_callbacks, take_quiz, holder, course)
    cert = Certificate.objects.get(user=holder, course=course)
    revoke(cert, actor=make_user(roles.CITY_ADMIN, None), reason="考核作弊")
    with pytest.raises(ValueError):
        reinstate(cert, actor=holder, reason="误撤销")
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    assert not is_authorised(holder).authorised


def test_reinstate_view_refuses_the_holder(
    training_index, django_capture_on_commit_callbacks, client
):
    course = course_with_quiz(training_index, "IP-101")
    holder = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_admin_cheat2")
    _run(django_capture_on_commit_callbacks, read_all, holder, course)
    _run(django_capture_on_commit_callbacks, take_quiz, holder, course)
    cert = Certificate.objects.get(user=holder, course=course)
    revoke(cert, actor=make_user(roles.CITY_ADMIN, None), reason="考核作弊")
    client.force_login(holder)
    client.post(f"/admin/certificates/reinstate/{cert.pk}/", {"reason": "误撤销"})
    cert.refresh_from_db()
    assert cert.revoked_at is not None


def test_trainer_cannot_mark_their_own_essay(client):
    trainer = make_user(roles.TRAINER, "HP", username="trainer_self_marker")
    quiz = make_quiz(questions_per_attempt=None)
    attempt = svc.start_attempt(quiz, trainer)
    attempt = svc.submit_attempt(attempt, answers=answer_all_correct(attempt))
    essay = Response.objects.get(attempt=attempt, question__qtype="essay")
    with pytest.raises(svc.AttemptError):
        svc.mark_response(essay, Decimal("1"), trainer, "满分")
    client.force_login(trainer)
    page = client.post(reverse("quizzes_admin:marking"), {"response": essay.pk, "percent": 100})
    assert page.status_code in (302, 200)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.PENDING and not attempt.passed
    # Another trainer still marks it.
    other = make_user(roles.TRAINER, None, username="trainer_other_marker")
    assert Group.objects.get(name=roles.TRAINER) in other.groups.all()
    assert svc.mark_response(essay, Decimal("1"), other).status == Attempt.GRADED

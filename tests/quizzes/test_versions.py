"""Question versions and regrading (issue 17, finding 6): an attempt keeps the version of each
question it showed; correcting a key offers a regrade (dry run, apply, audit) and certificates
follow the regraded result through the lifecycle rules."""

from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from certificates.authorisation import is_authorised
from certificates.lifecycle import REGRADE_REVOCATION_REASON
from certificates.models import Certificate
from courses.enrolment import enrol
from quizzes import attempts as svc
from quizzes import tokens
from quizzes.models import Attempt, Question, QuestionVersion, Quiz, Response
from quizzes.regrading import apply_regrade, plan_regrade
from quizzes.versions import record_version
from tests.certificates.lifecycle_helpers import read_all
from tests.factories import make_user

from .utils import gift_questions, make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db


def _choice(question, text):
    return question.choices.get(text=text)


def _submit_choices(learner, quiz, picks):
    """Start and submit ``quiz`` choosing the option named ``picks[question name]``."""
    attempt = svc.start_attempt(quiz, learner)
    answers = {}
    for r in attempt.responses.select_related("question"):
        answers[r.position] = {"choice": _choice(r.question, picks[r.question.name]).pk}
    return svc.submit_attempt(attempt, answers=answers)


def _question_form(question, choices, **fields):
    """The editor's POST for ``question`` with ``choices`` (dicts; ``id`` for kept ones)."""
    rows = [
        {
            "text": c["text"],
            "fraction": c["fraction"],
            "value": "",
            "tolerance": "0",
            "match": "",
            "feedback": "",
            **({"id": c["id"]} if c.get("id") else {}),
        }
        for c in choices
    ]
    initial = sum(1 for c in choices if c.get("id"))
    return nested_form_data(
        {
            "bank": question.bank_id,
            "category": question.category_id or "",
            "name": question.name,
            "qtype": question.qtype,
            "default_mark": "1",
            "text": fields.get("text", question.text),
            "image": fields.get("image", question.image_id or ""),
            "explanation": question.explanation,
            "true_feedback": "",
            "false_feedback": "",
            "correct_truefalse": "",
            "choices": inline_formset(rows, initial=initial),
        }
    )


def _correct_key(client, question, right_text):
    """A trainer corrects the key in the editor: ``right_text`` becomes the full-mark option."""
    choices = [
        {"id": c.pk, "text": c.text, "fraction": "1.00000" if c.text == right_text else "0.00000"}
        for c in question.choices.order_by("sort_order", "pk")
    ]
    return client.post(
        reverse("question:edit", args=[question.pk]), _question_form(question, choices)
    )


# --------------------------------------------------------------------------- versions


def test_a_paper_stores_the_version_it_drew(learner):
    quiz = make_quiz()
    attempt = svc.start_attempt(quiz, learner)
    rows = list(attempt.responses.select_related("version", "question"))
    assert rows and all(r.version_id and r.graded_version_id == r.version_id for r in rows)
    for r in rows:
        assert r.version.question_id == r.question_id
        assert r.version.number == 1
        # The snapshot keeps the choice ids the paper's options (and tokens) are made of.
        assert sorted(r.choice_order) == sorted(c["id"] for c in r.version.content["choices"])


def test_versions_are_recorded_only_when_the_content_changes(learner):
    quiz = make_quiz(make_bank(text=gift_questions(1)))
    question = Question.objects.get()
    first = record_version(question)
    assert record_version(question) == first  # nothing changed: no new version
    question.name = question.name  # a save without a change
    question.save()
    assert record_version(question) == first
    question.text = "<p>改过的题干</p>"
    question.save()
    second = record_version(question)
    assert second.number == first.number + 1
    assert second.key_hash == first.key_hash  # the stem is content, not key
    c = _choice(question, "错一")
    c.fraction = Decimal(1)
    c.save()
    third = record_version(question)
    assert third.key_hash != second.key_hash
    # A change made outside the editor is versioned before the next paper shows it.
    question.explanation = "<p>新的解析</p>"
    question.save()
    attempt = svc.start_attempt(quiz, learner)
    version = attempt.responses.get().version
    assert version.number == 4 and version.content["explanation"] == "<p>新的解析</p>"


def test_the_editor_records_a_version_by_its_author(client):
    make_bank(text=gift_questions(1))
    question = Question.objects.get()
    trainer = make_user("trainer", district=None)
    client.force_login(trainer)
    response = _correct_key(client, question, "错一")
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = QuestionVersion.objects.filter(question=question).order_by("-number").first()
    assert latest.created_by == trainer
    right = [c for c in latest.content["choices"] if c["fraction"] == "1"]
    assert [c["text"] for c in right] == ["错一"]


def test_old_review_is_unchanged_after_an_edit(client, learner):
    """The stem is rewritten and an image added after the attempt: its review still shows
    what was asked."""
    quiz = make_quiz(make_bank(text=gift_questions(1)), show_answers=Quiz.SHOW_END)
    question = Question.objects.get()
    attempt = _submit_choices(learner, quiz, {question.name: "对"})
    client.force_login(learner)
    before = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "题目 0" in before

    image = get_image_model().objects.create(title="新配图", file=get_test_image_file())
    question.text = "<p>全新的题干</p>"
    question.image = image
    question.save()
    c = question.choices.get(text="错三")
    c.text = "新选项文字"
    c.save()

    after = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "全新的题干" not in after and "新选项文字" not in after
    assert "<img" not in after
    assert "题目 0" in after and "错三" in after
    # A new attempt shows the new version, image included.
    quiz.max_attempts = None
    quiz.save()
    new = _submit_choices(learner, quiz, {question.name: "对"})
    html = client.get(reverse("quizzes:result", args=[new.pk])).content.decode()
    assert "全新的题干" in html and "新选项文字" in html and "<img" in html


def test_an_edit_during_an_attempt_changes_neither_paper_nor_tokens(client, learner):
    quiz = make_quiz(make_bank(text=gift_questions(1)))
    question = Question.objects.get()
    attempt = svc.start_attempt(quiz, learner)
    right = _choice(question, "对")
    # The trainer deletes the old right answer's neighbour and makes 错一 right meanwhile.
    _choice(question, "错三").delete()
    right.fraction = 0
    right.save()
    wrong = _choice(question, "错一")
    wrong.fraction = 1
    wrong.save()
    client.force_login(learner)
    # The paper still shows four options, named by the same per-attempt tokens.
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert html.count('type="radio"') == 4 and "错三" in html
    token = tokens.choice_token(attempt, right.pk)
    assert token in html
    saved = client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        {"position": 1, "answer": {"choice": token}},
        content_type="application/json",
    )
    assert saved.json()["saved"] is True
    attempt = svc.submit_attempt(attempt)
    # Scored by the version it showed (对 was right then).
    assert attempt.score == Decimal("100.00")


def test_review_query_count_is_pinned(client, learner, django_assert_num_queries):
    """The review reads every question from its version: a fixed number of queries whatever
    the number of questions (no choices or per-question lookups)."""
    quiz = make_quiz(make_bank(text=gift_questions(8)), show_answers=Quiz.SHOW_END)
    attempt = svc.start_attempt(quiz, learner)
    attempt = svc.submit_attempt(attempt)
    client.force_login(learner)
    url = reverse("quizzes:result", args=[attempt.pk])
    client.get(url)
    with django_assert_num_queries(5):  # + the attempt's regrade note (log entries)
        response = client.get(url)
    assert response.status_code == 200


# --------------------------------------------------------------------------- regrade


@pytest.fixture
def regrade_world(run_commits):
    """A required course whose quiz has two single-choice questions, pass mark 100:
    ``passer`` chose 对 twice (passed, certified); ``fixed`` chose 错一 on Q0 (failed, but
    right under the corrected key); ``other`` chose 错二 on Q0 (failed either way)."""
    course = make_course("IP-RG")
    course.required_for_authorisation = True
    course.save()
    bank = make_bank(name="重新评分题库", text=gift_questions(2, prefix="RG"))
    quiz = make_quiz(bank, course=course, pass_mark=100, max_attempts=3)
    q0, q1 = Question.objects.filter(bank=bank).order_by("name")
    people = {}
    for name, pick in [("passer", "对"), ("fixed", "错一"), ("other", "错二")]:
        user = make_user(username=f"rg-{name}")
        run_commits(read_all, user, course)
        people[name] = run_commits(_submit_choices, user, quiz, {q0.name: pick, q1.name: "对"})
    return {"course": course, "quiz": quiz, "q0": q0, "people": people}


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def test_regrade_dry_run_apply_and_lifecycle(
    client, regrade_world, django_capture_on_commit_callbacks
):
    course, q0, people = regrade_world["course"], regrade_world["q0"], regrade_world["people"]
    passer, fixed, other = (people[n] for n in ("passer", "fixed", "other"))
    assert passer.passed and not fixed.passed and not other.passed
    assert Certificate.objects.get(user=passer.user, course=course).is_valid
    assert is_authorised(passer.user).authorised
    assert not Certificate.objects.filter(user=fixed.user).exists()

    trainer = make_user("trainer", district=None)
    client.force_login(trainer)
    edited = _correct_key(client, q0, "错一")
    assert edited.status_code == 302
    # The editor offers the regrade.
    page = client.get(edited["Location"]).content.decode()
    assert reverse("quizzes_admin:regrade", args=[q0.pk]) in page
    assert "3 次已交卷的作答仍按旧答案评分" in page

    # Dry run: counts and the list; nothing written.
    url = reverse("quizzes_admin:regrade", args=[q0.pk])
    html = client.get(url).content.decode()
    assert "将改变 2 次作答的得分，其中 2 人的通过结果会改变。" in html
    assert "rg-passer" in html and "rg-fixed" in html and "rg-other" not in html
    passer.refresh_from_db()
    assert passer.passed and passer.score == Decimal("100.00")

    # Apply.
    target = QuestionVersion.objects.filter(question=q0).order_by("-number").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"version": target.pk})
    assert response.status_code == 302
    for attempt in (passer, fixed, other):
        attempt.refresh_from_db()
    assert (passer.score, passer.passed) == (Decimal("50.00"), False)
    assert (fixed.score, fixed.passed) == (Decimal("100.00"), True)
    assert (other.score, other.passed) == (Decimal("50.00"), False)
    # Responses keep the version they showed and are graded by the corrected one.
    r = Response.objects.get(attempt=passer, question=q0)
    assert r.version.number == 1 and r.graded_version == target and r.fraction == 0

    # The newly passing learner completes the course and gets a certificate.
    cert = Certificate.objects.get(user=fixed.user, course=course)
    assert cert.is_valid and is_authorised(fixed.user).authorised
    # The newly failing one loses the certificate that rested on the withdrawn pass.
    revoked = Certificate.objects.get(user=passer.user, course=course)
    assert revoked.revoked_at is not None
    assert revoked.revoked_reason == REGRADE_REVOCATION_REASON
    assert not is_authorised(passer.user).authorised

    # Audit: one entry per changed attempt and one for the question.
    entries = ModelLogEntry.objects.filter(action="quizzes.regrade")
    assert sorted(int(e.object_id) for e in entries) == sorted([passer.pk, fixed.pk])
    assert all(e.user_id == trainer.pk for e in entries)
    summary = ModelLogEntry.objects.get(action="quizzes.regrade_question")
    assert summary.object_id == str(q0.pk)
    assert summary.data["attempts_changed"] == 2 and summary.data["people_pass_changed"] == 2

    # Done: nothing left to regrade, a second POST changes nothing.
    assert "没有需要重新评分的作答" in client.get(url).content.decode()
    assert plan_regrade(q0).responses == []


def test_a_pass_still_resting_on_another_attempt_keeps_its_certificate(regrade_world, run_commits):
    course, quiz, q0 = regrade_world["course"], regrade_world["quiz"], regrade_world["q0"]
    passer = regrade_world["people"]["passer"]
    # A second pass of the same cycle (错一 on Q0 is right after the correction as well). No
    # paper may be opened after a pass (tests/quizzes/test_cycle_rules.py): this one was opened
    # while the first still awaited marking, the one way to two passes in a cycle.
    Attempt.objects.filter(pk=passer.pk).update(status=Attempt.PENDING)
    second = run_commits(_submit_choices, passer.user, quiz, {q0.name: "错一", "RG001": "对"})
    Attempt.objects.filter(pk=passer.pk).update(status=Attempt.GRADED)
    for c in q0.choices.all():
        c.fraction = 1 if c.text in ("错一",) else 0
        c.save()
    run_commits(apply_regrade, q0, None)
    passer.refresh_from_db()
    second.refresh_from_db()
    assert not passer.passed and second.passed
    assert Certificate.objects.get(user=passer.user, course=course).is_valid
    assert is_authorised(passer.user).authorised


def test_regrade_needs_the_permission(client, regrade_world):
    q0 = regrade_world["q0"]
    url = reverse("quizzes_admin:regrade", args=[q0.pk])
    client.force_login(make_user("district_admin"))
    assert client.get(url).status_code in (302, 403)
    client.force_login(make_user("trainer", district=None))
    assert client.get(url).status_code == 200
    assert make_user("city_admin", district=None).has_perm("quizzes.regrade_attempts")
    assert not make_user("district_admin").has_perm("quizzes.regrade_attempts")


def test_regrade_page_query_count_is_pinned(client, regrade_world, django_assert_num_queries):
    q0 = regrade_world["q0"]
    for c in q0.choices.all():
        c.fraction = 1 if c.text == "错一" else 0
        c.save()
    client.force_login(make_user("trainer", district=None))
    url = reverse("quizzes_admin:regrade", args=[q0.pk])
    client.get(url)  # records the new version
    with django_assert_num_queries(15):  # + the learners' full names (one query)
        html = client.get(url).content.decode()
    assert "将改变 2 次作答的得分" in html


def test_a_large_regrade_runs_as_a_task(client, regrade_world, monkeypatch):
    from quizzes import admin_views

    q0 = regrade_world["q0"]
    for c in q0.choices.all():
        c.fraction = 1 if c.text == "错一" else 0
        c.save()
    monkeypatch.setattr(admin_views, "INLINE_LIMIT", 1)
    client.force_login(make_user("trainer", district=None))
    url = reverse("quizzes_admin:regrade", args=[q0.pk])
    target = record_version(q0)
    response = client.post(url, {"version": target.pk}, follow=True)
    assert "重新评分已在后台开始" in response.content.decode()
    # The immediate backend ran it: scores changed.
    assert Attempt.objects.filter(passed=True, user__username="rg-fixed").exists()


def test_a_stale_version_is_not_applied(client, regrade_world):
    q0 = regrade_world["q0"]
    old = record_version(q0)
    q0.text = "<p>又改了</p>"
    q0.save()
    client.force_login(make_user("trainer", district=None))
    url = reverse("quizzes_admin:regrade", args=[q0.pk])
    response = client.post(url, {"version": old.pk}, follow=True)
    assert "题目在预览后又被修改" in response.content.decode()


def test_enrolment_is_reopened_when_the_completion_had_no_certificate_yet(regrade_world):
    """A withdrawn pass whose completion was not certified yet re-opens the enrolment."""
    from certificates.lifecycle import withdraw_unfounded_completion
    from courses.models import Enrollment

    course, q0 = regrade_world["course"], regrade_world["q0"]
    passer = regrade_world["people"]["passer"]
    Certificate.objects.filter(user=passer.user).delete()
    for c in q0.choices.all():
        c.fraction = 1 if c.text == "错一" else 0
        c.save()
    apply_regrade(q0, None)  # no commit callbacks run here: call the rule directly
    withdraw_unfounded_completion(passer.user, course)
    enrollment = Enrollment.objects.get(user=passer.user, course=course)
    assert enrollment.completed_at is None and enrollment.previous_completed_at is not None
    enrol(passer.user, course)  # idempotent, still enrolled


def test_the_data_migration_versions_existing_questions_and_pins_their_responses(learner):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("quizzes.migrations.0007_question_versions_data")
    quiz = make_quiz(make_bank(text=gift_questions(2)))
    attempt = svc.submit_attempt(svc.start_attempt(quiz, learner))
    # As before versions existed.
    Response.objects.update(version=None, graded_version=None)
    QuestionVersion.objects.all().delete()
    migration.create_versions(apps, None)
    assert QuestionVersion.objects.count() == 2
    for r in Response.objects.filter(attempt=attempt).select_related("version"):
        assert r.version.number == 1 and r.graded_version_id == r.version_id
        assert r.version.question_id == r.question_id
    migration.create_versions(apps, None)  # idempotent
    assert QuestionVersion.objects.count() == 2

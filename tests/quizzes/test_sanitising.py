"""Security hole 7 (issue 15): every authored HTML field of a question is sanitised on save
with the nh3 policy (question text, explanation, true/false feedback, choice texts and
feedback, matching sub-questions), so nothing the learner pages render as HTML is raw."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from quizzes import attempts as svc
from quizzes.models import Choice, Question, QuestionBank, Response

from .utils import make_quiz

pytestmark = pytest.mark.django_db

META = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
SCRIPT = "<script>alert('xss')</script>"
HOSTILE = f"{META}{SCRIPT}<b>甲</b><img src=x onerror=alert(2)>"
MARKERS = ["http-equiv", "evil.example", "alert(", "onerror"]


def hostile_bank():
    """Questions built the way the admin form saves them: model instances with raw HTML."""
    bank = QuestionBank.objects.create(name="恶意")
    mc = Question.objects.create(bank=bank, name="MC", qtype="multichoice", text="单选")
    Choice.objects.create(question=mc, text=HOSTILE, fraction=1, feedback=HOSTILE, sort_order=0)
    Choice.objects.create(question=mc, text="乙", fraction=0, feedback=SCRIPT, sort_order=1)
    mr = Question.objects.create(bank=bank, name="MR", qtype="multiresponse", text="多选")
    Choice.objects.create(question=mr, text=META + "子", fraction=1, feedback=META, sort_order=0)
    Choice.objects.create(question=mr, text="丑", fraction=0, sort_order=1)
    mt = Question.objects.create(bank=bank, name="MT", qtype="matching", text="配对")
    Choice.objects.create(question=mt, text=SCRIPT + "专利", match="国家知识产权局", sort_order=0)
    Choice.objects.create(question=mt, text=META + "著作权", match="版权局", sort_order=1)
    Choice.objects.create(question=mt, text="", match="工商局", sort_order=2)
    tf = Question.objects.create(
        bank=bank, name="TF", qtype="truefalse", text=META + "判断", correct_truefalse=True
    )
    tf.true_feedback = tf.false_feedback = tf.explanation = HOSTILE
    tf.save()
    return bank


def test_choice_texts_and_feedback_are_sanitised_on_save():
    hostile_bank()
    for choice in Choice.objects.all():
        for value in (choice.text, choice.feedback):
            for marker in MARKERS:
                assert marker not in value, (choice.question.name, value)
    choice = Choice.objects.get(question__name="MC", fraction=1)
    assert choice.text == '<b>甲</b><img src="x">'  # formatting kept
    question = Question.objects.get(name="TF")
    assert not any(m in question.true_feedback + question.explanation for m in MARKERS)


@pytest.mark.parametrize("mode", ["each", "end"])
def test_no_raw_html_reaches_the_attempt_or_the_review(client, learner, mode):
    quiz = make_quiz(hostile_bank(), questions_per_attempt=None, show_answers=mode)
    attempt = svc.start_attempt(quiz, learner)
    client.force_login(learner)
    pages = [client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()]
    mc = Response.objects.get(attempt=attempt, question__name="MC")
    mc.answer = {"choice": Choice.objects.get(question__name="MC", fraction=1).pk}
    mc.save()
    svc.submit_attempt(attempt)
    pages.append(client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode())
    review = pages[1]
    assert "<b>甲</b>" in review and "专利" in review  # the review shows the options
    for html in pages:
        for marker in MARKERS:
            assert marker not in html, marker


def test_plain_choice_texts_stay_plain_and_are_escaped():
    """Short-answer patterns are plain text (not HTML): saving keeps "<" as typed and the
    learner's answer still matches; the review escapes it."""
    bank = QuestionBank.objects.create(name="纯文本")
    sa = Question.objects.create(bank=bank, name="SA", qtype="shortanswer", text="比较")
    choice = Choice.objects.create(question=sa, text="a<b", fraction=1, feedback="<i>好</i>")
    choice.refresh_from_db()
    assert choice.text == "a<b" and choice.feedback == "<i>好</i>"
    from quizzes.scoring import grade_response

    assert grade_response(sa, [choice], {"text": "a<b"}) == 1


def test_changing_a_question_to_an_html_type_sanitises_its_stored_choices():
    bank = QuestionBank.objects.create(name="改题型")
    question = Question.objects.create(bank=bank, name="Q", qtype="shortanswer", text="题")
    Choice.objects.create(question=question, text=META + "答案", fraction=1)
    question = Question.objects.get(pk=question.pk)
    question.qtype = "multichoice"
    question.save()
    assert Choice.objects.get(question=question).text == "答案"


def test_migration_sanitises_choices_stored_raw_before_the_fix():
    bank = hostile_bank()
    mc = Choice.objects.filter(question__name="MC", fraction=1)
    mc.update(text=HOSTILE, feedback=HOSTILE)  # as the old admin stored them
    sa = Question.objects.create(bank=bank, name="SA", qtype="shortanswer", text="比较")
    Choice.objects.create(question=sa, text="a<b", fraction=1)
    migration = importlib.import_module("quizzes.migrations.0002_sanitise_choice_html")
    migration.sanitise_choices(django_apps, None)
    choice = mc.get()
    assert choice.text == '<b>甲</b><img src="x">' == choice.feedback
    assert Choice.objects.get(question=sa).text == "a<b"

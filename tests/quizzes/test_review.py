"""The review after submitting (issue 18, finding 2): the learner's answer and the correct one
are named in words, and a missed question links to the lesson it comes from."""

import re

import pytest
from django.urls import reverse

from courses.enrolment import enrol
from courses.models import LessonPage
from quizzes import attempts as svc
from quizzes.models import Attempt, Response

from .utils import make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db

GIFT = """
$CATEGORY: 入门/专利

::P1::发明专利保护期多少年？{=20年 ~10年 ~15年}

::P2::外观设计专利需要实质审查。{F}

$CATEGORY: 入门/商标

::T1::注册商标有效期几年？{#10}

$CATEGORY: 入门/其他

::O1::商标的英文是？{=trademark}

// [tag:lesson:trademarks]
::O2::商标注册找哪个机关？{=国家知识产权局 ~版权局}
"""


@pytest.fixture
def course():
    course = make_course("IP-R1")
    for title, slug in [("专利的三种类型", "patent-types"), ("商标与地理标志", "trademarks")]:
        course.add_child(instance=LessonPage(title=title, slug=slug))
    return course


def submitted(client, learner, course, answers):
    enrol(learner, course)
    # The key shown after a fail (no hold_answer_key), to see both marks side by side.
    quiz = make_quiz(
        make_bank(text=GIFT), course=course, shuffle_questions=False, hold_answer_key=False
    )
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz)
    by_name = {r.question.name: r for r in Response.objects.filter(attempt=attempt)}
    data = {}
    for name, value in answers.items():
        response = by_name[name]
        if value == "right":
            value = next(c.pk for c in response.question.choices.all() if c.fraction > 0)
        elif value == "wrong":
            value = next(c.pk for c in response.question.choices.all() if c.fraction <= 0)
        data[response.position] = {"choice": value, "value": value, "text": value}
    svc.submit_attempt(attempt, answers=data)
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    return html, by_name


def block(html, name, by_name):
    """The HTML of one question of the review."""
    position = by_name[name].position
    return html.split(f'id="q{position}"')[1].split('<div class="question"')[0]


def test_your_answer_and_the_correct_one_in_words(client, learner, course):
    html, by_name = submitted(client, learner, course, {"P1": "wrong", "P2": True, "T1": "7"})
    p1 = block(html, "P1", by_name)
    mine = re.findall(r"<label[^>]*>([^<]*)<span class=\"badge badge-mine\">你的答案</span>", p1)
    right = re.findall(
        r"<label[^>]*>([^<]*?)(?:<span class=\"badge badge-mine\">[^<]*</span>)?"
        r" <span class=\"badge badge-ok\">正确答案</span>",
        p1,
    )
    assert [m.strip() for m in mine] in (["10年"], ["15年"])  # a wrong choice, by text
    assert [r.strip() for r in right] == ["20年"]
    assert "回答错误" in p1
    # True/false: the chosen 对 is the learner's answer, 错 the correct one.
    p2 = block(html, "P2", by_name)
    assert re.search(r"对 <span class=\"badge badge-mine\">你的答案</span>", p2)
    assert re.search(r"错 <span class=\"badge badge-ok\">正确答案</span>", p2)
    # Numerical: the text answer in words beside the reference answer.
    t1 = block(html, "T1", by_name)
    assert re.search(r"你的答案</span> 7</p>", t1)
    assert re.search(r"参考答案</span> 10</p>", t1)
    # Unanswered is said so.
    assert "未作答" in block(html, "O1", by_name)


def test_missed_questions_link_to_their_lesson(client, learner, course):
    html, by_name = submitted(client, learner, course, {"P1": "wrong", "P2": False, "T1": "7"})
    patent = LessonPage.objects.get(slug="patent-types")
    trademark = LessonPage.objects.get(slug="trademarks")
    # P1 missed: its category 专利 is named in the patent lesson's title.
    assert f'<a href="{patent.url}">复习本讲：专利的三种类型</a>' in block(html, "P1", by_name)
    # P2 right: no link.
    assert "review-lesson" not in block(html, "P2", by_name)
    assert f'<a href="{trademark.url}">复习本讲：商标与地理标志</a>' in block(html, "T1", by_name)
    # O1 (category 其他, no lesson of that name): the course's lesson list instead.
    assert f'<a href="{course.url}">复习课程：{course.title}</a>' in block(html, "O1", by_name)
    # O2 (category 其他, but tagged lesson:trademarks): the tag wins.
    assert f'<a href="{trademark.url}">复习本讲：商标与地理标志</a>' in block(html, "O2", by_name)


def test_lesson_links_and_your_answer_while_the_key_is_withheld(client, learner, course):
    enrol(learner, course)
    quiz = make_quiz(make_bank(text=GIFT), course=course, hold_answer_key=True, max_attempts=3)
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz)
    p2 = Response.objects.get(attempt=attempt, question__name="P2")
    svc.save_answer(attempt, p2.position, {"value": True})
    svc.submit_attempt(attempt)
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert 'badge-ok">正确答案' not in html  # the key is withheld after a fail
    assert re.search(r"对 <span class=\"badge badge-mine\">你的答案</span>", html)
    patent = LessonPage.objects.get(slug="patent-types")
    assert f'<a href="{patent.url}">复习本讲：专利的三种类型</a>' in html


def test_no_lesson_links_in_exam_mode(client, learner, course):
    enrol(learner, course)
    quiz = make_quiz(make_bank(text=GIFT), course=course, show_answers="never")
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz)
    svc.submit_attempt(attempt)
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "review-lesson" not in html and "你的答案" not in html


def test_numerical_question_written_in_the_admin_shows_its_key(client, learner):
    """A numerical answer written in the editor has a value and a tolerance but no GIFT text:
    the review named an empty 参考答案 (walk-through after issue 17)."""
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    from quizzes.models import Question, QuestionBank
    from tests.factories import make_user

    bank = QuestionBank.objects.create(name="数值题库")
    client.force_login(make_user("trainer", district=None))
    answer = {"value": "20", "tolerance": "0.5", "fraction": "1.00000", "feedback": ""}
    form = {
        "bank": bank.pk,
        "category": "",
        "name": "保护期",
        "default_mark": "1",
        "text": "<p>发明专利权的保护期是多少年？</p>",
        "explanation": "",
        "choices": inline_formset([answer]),
    }
    response = client.post("/admin/question/new/?type=numerical", nested_form_data(form))
    assert response.status_code == 302
    assert Question.objects.get(name="保护期").choices.get().text == ""

    quiz = make_quiz(bank)
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz, user=learner)
    svc.save_answer(attempt, 1, {"text": "7"})
    attempt = svc.submit_attempt(attempt)
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert re.search(r"你的答案</span> 7</p>", html)
    assert re.search(r"参考答案</span> 20 ± 0.5</p>", html)

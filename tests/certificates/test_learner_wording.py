"""A learner's phone test (fixlearner): /certificates/ lists exactly what is missing, like the
home banner; lessons, quizzes and prerequisite courses named as missing are links; English
sentences are assembled with English punctuation and singular/plural forms."""

import re

import pytest
from django.conf import settings

from courses.enrolment import enrol
from courses.models import CoursePage, LessonPage, LessonProgress
from quizzes.models import Quiz
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, site_training_index
from tests.factories import make_user

pytestmark = pytest.mark.django_db
FULL_WIDTH = "（）、；"


@pytest.fixture
def training_index(db):
    return site_training_index("training-wording")


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _items(html):
    return dict(re.findall(r'<li data-course="([^"]+)" data-reason="learning">(.*?)</li>', html))


def _locked_pair(training_index, commits):
    """IP-101 (every lesson read, the quiz missing) unlocks IP-102 (2 lessons, locked)."""
    first = course_with_quiz(training_index, "IP-101", lessons=1)
    second = course_with_quiz(training_index, "IP-102", lessons=2)
    second.prerequisites.add(first)
    second.save_revision().publish()
    user = make_user()
    with commits():
        read_all(user, first)
        enrol(user, second)
    return first, CoursePage.objects.get(pk=second.pk), user


def test_certificates_page_lists_the_precise_missing_items(training_index, client, commits):
    quiz_only = course_with_quiz(training_index, "IP-101", lessons=1)
    lessons_too = course_with_quiz(training_index, "IP-102", lessons=2)
    user = make_user()
    with commits():
        read_all(user, quiz_only)
        read_all(user, lessons_too)
    unread = LessonPage.objects.child_of(lessons_too).order_by("path").last()
    LessonProgress.objects.filter(user=user, lesson=unread).delete()
    client.force_login(user)
    html = client.get("/certificates/").content.decode()
    items = _items(html)
    assert set(items) == {"IP-101", "IP-102"}, html
    assert "尚未完成学习和考核" not in html
    quiz = Quiz.objects.get(course=quiz_only)
    assert f'<a href="/quiz/{quiz.pk}/">通过结业测验</a>' in items["IP-101"]
    assert "课文" not in items["IP-101"]
    assert "读完 1 篇课文" in items["IP-102"]
    assert f'<a href="{unread.url}">{unread.title}</a>' in items["IP-102"]


def test_home_banner_names_the_prerequisite_not_the_locked_lessons(training_index, client, commits):
    first, second, user = _locked_pair(training_index, commits)
    client.force_login(user)
    items = _items(client.get("/").content.decode())
    assert f'<a href="{first.url}">{first.title}（IP-101）</a>' in items["IP-102"], items
    assert "课文" not in items["IP-102"]  # its lessons are locked anyway
    assert f'<a href="{second.url}">{second.title}</a>' in items["IP-102"]


def test_english_banner_uses_english_punctuation_and_singular(training_index, client, commits):
    first, second, user = _locked_pair(training_index, commits)
    LessonProgress.objects.filter(user=user).delete()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    items = _items(client.get("/").content.decode())
    assert "complete the prerequisite course " in items["IP-102"], items
    assert "prerequisite courses" not in items["IP-102"]
    text = re.sub(r"<[^>]+>", "", items["IP-101"])
    assert "read 1 lesson (" in text and not any(c in text for c in FULL_WIDTH), text
    assert "(IP-101)" in re.sub(r"<[^>]+>", "", items["IP-102"])


def test_locked_quiz_links_the_unread_lessons(training_index, client, commits):
    course = course_with_quiz(training_index, "IP-101", lessons=2)
    user = make_user()
    with commits():
        read_all(user, course)
    LessonProgress.objects.filter(user=user).delete()
    client.force_login(user)
    quiz = Quiz.objects.get(course=course)
    html = client.get(f"/quiz/{quiz.pk}/").content.decode()
    gate = html.split('<ul class="quiz-gate">', 1)[1].split("</ul>", 1)[0]
    for lesson in LessonPage.objects.child_of(course):
        assert f'<a href="{lesson.url}">{lesson.title}</a>' in gate, gate
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/quiz/{quiz.pk}/").content.decode()
    gate = re.sub(r"<[^>]+>", "", html.split('<ul class="quiz-gate">', 1)[1].split("</ul>")[0])
    assert "2 lessons still unread (" in gate and "、" not in gate and "（" not in gate, gate


def test_locked_lesson_page_speaks_singular_english(training_index, client, commits):
    first, second, user = _locked_pair(training_index, commits)
    lesson = LessonPage.objects.child_of(second).first()
    client.force_login(user)
    LessonProgress.objects.filter(user=user).delete()
    from courses.models import Enrollment

    Enrollment.objects.filter(user=user, course=first).update(completed_at=None)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(lesson.url).content.decode()
    assert "Please complete the prerequisite course first:" in html, html

"""Chinese search in the admin listings (questions, pages, staff, certificates), on SQLite and
PostgreSQL alike (lms/organisation/search.py; run with DATABASE_URL=postgres://... for
PostgreSQL)."""

import pytest
from django.core.management import call_command
from django.db import connection
from wagtail.models import Page

from certificates import issue
from courses.loader import ensure_trainer_permissions
from courses.models import CoursePage, LessonPage, TrainingIndexPage
from quizzes.formats import parse_gift
from quizzes.importing import import_questions
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GIFT = """
$CATEGORY: 基础知识

::专利权保护期限::发明专利权的保护期限是多少年？{=20年 ~10年}

::窗口接待礼仪::在受理窗口接待办事人时首先应当怎么做？{=起身问候 ~继续办公}

::商标续展::注册商标每次续展的有效期是几年？{#10}
"""


def names(html, candidates):
    return {name for name in candidates if name in html}


@pytest.fixture
def city_admin():
    return make_user("city_admin", district=None)


@pytest.fixture
def trainer():
    return make_user("trainer", district=None)


@pytest.fixture
def pages():
    root = Page.get_first_root_node()
    index = root.add_child(instance=TrainingIndexPage(title="培训首页", slug="search-training"))
    course = index.add_child(
        instance=CoursePage(title="窗口受理实务", slug="window-practice", code="S-1", summary="s")
    )
    lessons = [
        course.add_child(instance=LessonPage(title="发明专利的保护期限", slug="patent-term")),
        course.add_child(instance=LessonPage(title="商标续展", slug="tm-renewal")),
    ]
    ensure_trainer_permissions(index)
    call_command("update_index", verbosity=0)
    return course, lessons


def test_question_listing_search_finds_chinese_words_inside_names_and_text(client, trainer):
    import_questions("检索题库", parse_gift(GIFT))
    client.force_login(trainer)
    all_names = ["专利权保护期限", "窗口接待礼仪", "商标续展"]

    response = client.get("/admin/question/", {"q": "期限"})
    assert response.status_code == 200  # was 500 on SQLite: "no such column: name"
    assert names(response.content.decode(), all_names) == {"专利权保护期限"}

    # a word inside the stem, not the name
    html = client.get("/admin/question/", {"q": "窗口"}).content.decode()
    assert names(html, all_names) == {"窗口接待礼仪"}
    # two terms must both occur; Latin text keeps working
    html = client.get("/admin/question/", {"q": "续展 有效期"}).content.decode()
    assert names(html, all_names) == {"商标续展"}
    assert client.get("/admin/question/", {"q": "abc"}).status_code == 200


def test_page_explorer_and_search_find_chinese_words_inside_titles(client, trainer, pages):
    course, lessons = pages
    client.force_login(trainer)

    def found(url, q):
        response = client.get(url, {"q": q})
        assert response.status_code == 200
        return {page.title for page in response.context["object_list"]}

    assert found("/admin/pages/search/", "期限") == {"发明专利的保护期限"}
    assert found("/admin/pages/search/", "窗口") == {"窗口受理实务"}
    # the explorer of the course, searching its lessons
    assert found(f"/admin/pages/{course.pk}/", "续展") == {"商标续展"}


def test_wagtail_search_api_matches_chinese_substrings_and_keeps_counts_right(pages):
    course, lessons = pages
    assert [p.pk for p in LessonPage.objects.search("期限")] == [lessons[0].pk]
    assert Page.objects.search("保护 期限").count() == 1
    assert Page.objects.autocomplete("续展").count() == 1
    assert Page.objects.search("不存在的词").count() == 0
    # facets (the search page's page-type filter) count each page once
    facets = Page.objects.search("窗口").facet("content_type_id")
    assert sum(facets.values()) == 1


def test_staff_and_certificate_listings_find_part_of_a_chinese_name(client, city_admin):
    from courses.models import CoursePage as Course

    root = Page.get_first_root_node()
    index = root.add_child(instance=TrainingIndexPage(title="培训", slug="t-cert"))
    course = index.add_child(instance=Course(title="课程", slug="c", code="C-1", summary="s"))
    zhang = make_user(full_name="张窗口")
    li = make_user(full_name="李期限")
    issue(zhang, course)
    issue(li, course)
    client.force_login(city_admin)

    html = client.get("/admin/staffprofile/", {"q": "窗口"}).content.decode()
    assert names(html, ["张窗口", "李期限"]) == {"张窗口"}
    html = client.get("/admin/certificates/", {"q": "期限"}).content.decode()
    assert names(html, ["张窗口", "李期限"]) == {"李期限"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_has_trigram_indexes_for_the_searched_columns():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        indexes = {row[0] for row in cursor.fetchall()}
    assert {
        "wagtailsearch_indexentry_title_text_trgm",
        "wagtailsearch_indexentry_body_text_trgm",
        "quizzes_question_name_trgm",
        "certificates_certificate_holder_name_trgm",
        "lms_staffprofile_full_name_trgm",
    } <= indexes

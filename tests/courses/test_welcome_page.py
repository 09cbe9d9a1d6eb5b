"""Wagtail's stock "Welcome to your new Wagtail site!" page leaves the page tree once the
training home exists: load_curriculum removes it (courses.loader.remove_wagtail_welcome_page)
and migration courses.0006 removes it from databases loaded before."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Page, Site

from courses.loader import WAGTAIL_WELCOME_TITLE
from courses.models import CoursePage, TrainingIndexPage
from tests.factories import make_user

from .conftest import write_course

pytestmark = pytest.mark.django_db


def test_load_curriculum_leaves_only_the_training_home_in_the_tree(client, curriculum):
    assert Page.objects.filter(title=WAGTAIL_WELCOME_TITLE).exists()  # after migrate
    write_course(curriculum, lessons=1)
    call_command("load_curriculum", str(curriculum), verbosity=0)

    assert not Page.objects.filter(title=WAGTAIL_WELCOME_TITLE).exists()
    index = TrainingIndexPage.objects.get()
    root = Page.get_first_root_node()
    assert [page.pk for page in root.get_children()] == [index.pk]
    assert root.numchild == 1
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == index.pk
    assert Site.find_for_request(client.get("/").wsgi_request) == site

    learner = make_user(username="welcome-learner")
    client.force_login(learner)
    assert client.get("/").status_code == 200
    assert client.get(reverse("home")).status_code == 200
    course = CoursePage.objects.get(code="T-101")
    assert client.get(course.url).status_code == 200
    # idempotent: loading again deletes nothing else
    call_command("load_curriculum", str(curriculum), verbosity=0)
    assert Page.objects.get(pk=index.pk)


def test_a_page_someone_built_under_the_welcome_page_keeps_it(curriculum):
    welcome = Page.objects.get(title=WAGTAIL_WELCOME_TITLE)
    welcome.add_child(instance=Page(title="自建页面", slug="own"))
    write_course(curriculum, lessons=1)
    call_command("load_curriculum", str(curriculum), verbosity=0)
    assert Page.objects.filter(title=WAGTAIL_WELCOME_TITLE).exists()

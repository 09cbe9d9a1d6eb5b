"""Migration courses.0006 removes Wagtail's stock welcome page from a database whose training
home exists already, and points the default Site at the training home."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("courses", "0005_course_attendance_required")]
AFTER = [("courses", "0006_remove_wagtail_welcome_page")]
WELCOME = "Welcome to your new Wagtail site!"

# Run in a process of its own (make test), like tests/jobs/test_migration.py.
pytestmark = pytest.mark.migration


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_welcome_page_goes_and_the_site_points_at_the_training_home():
    old = migrate(BEFORE)
    Page = old.get_model("wagtailcore", "Page")
    Site = old.get_model("wagtailcore", "Site")
    ContentType = old.get_model("contenttypes", "ContentType")
    TrainingIndexPage = old.get_model("courses", "TrainingIndexPage")
    root = Page.objects.get(depth=1)
    welcome = Page.objects.get(depth=2, title=WELCOME)
    assert Site.objects.get(is_default_site=True).root_page_id == welcome.pk
    index_type, _created = ContentType.objects.get_or_create(
        app_label="courses", model="trainingindexpage"
    )
    index = TrainingIndexPage.objects.create(
        title="培训课程",
        draft_title="培训课程",
        slug="training",
        path=root.path + "0002",
        depth=2,
        numchild=0,
        url_path="/training/",
        live=True,
        content_type=index_type,
        locale_id=welcome.locale_id,
        translation_key="00000000-0000-4000-8000-000000000001",
    )
    Page.objects.filter(pk=root.pk).update(numchild=2)

    new = migrate(AFTER)
    Page = new.get_model("wagtailcore", "Page")
    Site = new.get_model("wagtailcore", "Site")
    assert not Page.objects.filter(title=WELCOME).exists()
    assert Site.objects.get(is_default_site=True).root_page_id == index.pk
    assert Page.objects.get(depth=1).numchild == 1
    migrate(latest())

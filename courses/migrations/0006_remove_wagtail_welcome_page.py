"""Remove Wagtail's stock "Welcome to your new Wagtail site!" page from databases whose training
home already exists, pointing any Site that still uses it at the training home. On a fresh
database (no training home yet) the stock page stays the Site's root until ``load_curriculum``
creates the training home and removes it (``courses.loader.remove_wagtail_welcome_page``)."""

from django.db import migrations
from django.db.models import F

WELCOME_TITLE = "Welcome to your new Wagtail site!"


def remove_welcome_page(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Revision = apps.get_model("wagtailcore", "Revision")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TrainingIndexPage = apps.get_model("courses", "TrainingIndexPage")

    index = TrainingIndexPage.objects.order_by("pk").first()
    page_type = ContentType.objects.filter(app_label="wagtailcore", model="page").first()
    if index is None or page_type is None:
        return
    for welcome in Page.objects.filter(
        content_type=page_type, depth=2, numchild=0, title=WELCOME_TITLE
    ):
        Site.objects.filter(root_page_id=welcome.pk).update(root_page_id=index.pk)
        Revision.objects.filter(base_content_type=page_type, object_id=str(welcome.pk)).delete()
        parent_path = welcome.path[:4]  # the tree root (treebeard steplen 4)
        welcome.delete()  # cascades to its permissions, restrictions, subscriptions...
        Page.objects.filter(depth=1, path=parent_path).update(numchild=F("numchild") - 1)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_course_attendance_required"),
        ("wagtailcore", "0002_initial_data"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(remove_welcome_page, migrations.RunPython.noop)]

"""Wagtail's own data in Chinese: the site's name (Wagtail's home and title showed the host name,
"localhost"), the default workflow and task Wagtail's migrations create ("Moderators approval",
shown as "提交给Moderators approval")."""

from django.db import migrations

SITE_NAME = "上海知识产权窗口培训"


def name_sites(apps, schema_editor):
    Site = apps.get_model("wagtailcore", "Site")
    Site.objects.filter(site_name="").update(site_name=SITE_NAME)
    Site.objects.filter(site_name__isnull=True).update(site_name=SITE_NAME)
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name="Moderators approval").update(name="默认审批流程")
    Task.objects.filter(name="Moderators approval").update(name="默认审批")
    # Wagtail's placeholder home page is removed once the training home exists
    # (courses.loader.remove_wagtail_welcome_page, migration courses.0006).


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0005_reviewer_role"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(name_sites, migrations.RunPython.noop)]

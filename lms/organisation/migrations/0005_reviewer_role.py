"""The reviewer role (审核人) and the training tree's approval workflow.

Wagtail's default "Moderators approval" workflow points at its own "Moderators" group, which no
project role belongs to: submitted pages could never be approved. This migration creates the
``reviewer`` group, a group-approval task for it, the workflow ``课程审核`` with that task, and
assigns the workflow to the root page (so every page of the training tree is governed). It
also withdraws the trainers' publish permission: their changes pass through the workflow.
The reviewers' page permissions on the training index are granted by
``courses.loader.ensure_trainer_permissions`` (the index is created by ``load_curriculum``).
"""

from django.db import migrations

REVIEWER = "reviewer"
WORKFLOW = "课程审核"  # lms.organisation.roles.REVIEW_WORKFLOW
TASK = "审核人审批"  # lms.organisation.roles.REVIEW_TASK


def create_reviewer_workflow(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Page = apps.get_model("wagtailcore", "Page")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")

    reviewer, _created = Group.objects.get_or_create(name=REVIEWER)
    content_type, _created = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK, content_type=content_type, active=True)
    task.groups.set([reviewer])
    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})

    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is not None:
        previous = WorkflowPage.objects.filter(page=root).first()
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
        # Wagtail's default "Moderators approval": no project role can approve it.
        if (
            previous is not None
            and previous.workflow_id != workflow.pk
            and not WorkflowPage.objects.filter(workflow_id=previous.workflow_id).exists()
        ):
            Workflow.objects.filter(pk=previous.workflow_id).update(active=False)

    GroupPagePermission.objects.filter(
        group__name="trainer", permission__codename="publish_page"
    ).delete()


def remove_reviewer_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Workflow.objects.filter(name=WORKFLOW).update(active=False)
    apps.get_model("wagtailcore", "WorkflowPage").objects.filter(workflow__name=WORKFLOW).delete()
    apps.get_model("auth", "Group").objects.filter(name=REVIEWER).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0004_search_trigram_indexes"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_reviewer_workflow, remove_reviewer_workflow)]

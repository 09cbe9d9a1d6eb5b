"""RosterExport becomes a kind of background file job (lms.jobs.FileJob, kind
"roster_export"), a proxy model: each row is copied with its file (the same stored name, so the
file stays where it is), its filters, format, row count, dates and requester; audit log entries
are pointed at the new id. Reversible: going back copies the jobs into the table again."""

import datetime

from django.db import migrations
from django.utils import timezone

KIND = "roster_export"
LIFETIME = datetime.timedelta(days=7)


def _retarget_log(apps, old_pk, new_pk):
    try:
        ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return
    ct = ContentType.objects.filter(app_label="rollout", model="rosterexport").first()
    if ct is not None:
        ModelLogEntry.objects.filter(content_type=ct, object_id=str(old_pk)).update(
            object_id=str(new_pk)
        )


def to_jobs(apps, schema_editor):
    RosterExport = apps.get_model("rollout", "RosterExport")
    FileJob = apps.get_model("jobs", "FileJob")
    now = timezone.now()
    for old in RosterExport.objects.order_by("pk").iterator():
        job = FileJob.objects.create(
            kind=KIND,
            state=old.status,
            requested_by_id=old.requested_by_id,
            district_id=old.district_id,
            params={"filters": old.filters, "format": old.format, "migrated_from": old.pk},
            result={"row_count": old.row_count},
            file=old.file.name if old.file else "",
            error=old.error,
            finished_at=old.finished_at,
            expires_at=max(now, old.created_at) + LIFETIME,
        )
        FileJob.objects.filter(pk=job.pk).update(created_at=old.created_at)
        _retarget_log(apps, old.pk, job.pk)


def from_jobs(apps, schema_editor):
    RosterExport = apps.get_model("rollout", "RosterExport")
    FileJob = apps.get_model("jobs", "FileJob")
    for job in FileJob.objects.filter(kind=KIND).order_by("pk").iterator():
        state = job.state if job.state in ("pending", "running", "done", "failed") else "failed"
        old = RosterExport.objects.create(
            requested_by_id=job.requested_by_id,
            district_id=job.district_id,
            filters=job.params.get("filters", {}),
            format=job.params.get("format", "xlsx"),
            status=state,
            row_count=job.result.get("row_count", 0),
            file=job.file.name if job.file else "",
            error=job.error,
            finished_at=job.finished_at,
        )
        RosterExport.objects.filter(pk=old.pk).update(created_at=job.created_at)
        _retarget_log(apps, job.pk, old.pk)
    FileJob.objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0001_initial"),
        ("jobs", "0001_file_job"),
        ("wagtailcore", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(to_jobs, from_jobs),
        migrations.DeleteModel(name="RosterExport"),
        migrations.CreateModel(
            name="RosterExport",
            fields=[],
            options={
                "verbose_name": "花名册导出",
                "verbose_name_plural": "花名册导出",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("jobs.filejob",),
        ),
    ]

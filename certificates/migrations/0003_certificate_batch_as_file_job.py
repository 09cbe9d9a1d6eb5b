"""CertificateBatch becomes a kind of background file job (lms.jobs.FileJob, kind
"certificate_batch"), a proxy model: each row is copied with its file (the same stored name),
format, course, district, wave, certificate count, dates and requester; audit log entries are
pointed at the new id. Reversible."""

import datetime

from django.db import migrations
from django.utils import timezone

KIND = "certificate_batch"
LIFETIME = datetime.timedelta(days=7)


def _retarget_log(apps, old_pk, new_pk):
    try:
        ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return
    ct = ContentType.objects.filter(app_label="certificates", model="certificatebatch").first()
    if ct is not None:
        ModelLogEntry.objects.filter(content_type=ct, object_id=str(old_pk)).update(
            object_id=str(new_pk)
        )


def to_jobs(apps, schema_editor):
    CertificateBatch = apps.get_model("certificates", "CertificateBatch")
    FileJob = apps.get_model("jobs", "FileJob")
    now = timezone.now()
    for old in CertificateBatch.objects.order_by("pk").iterator():
        job = FileJob.objects.create(
            kind=KIND,
            state=old.status,
            requested_by_id=old.requested_by_id,
            district_id=old.district_id,
            params={
                "format": old.format,
                "course_id": old.course_id,
                "wave_id": old.wave_id,
                "migrated_from": old.pk,
            },
            result={"certificate_count": old.certificate_count},
            file=old.file.name if old.file else "",
            error=old.error,
            finished_at=old.finished_at,
            expires_at=max(now, old.created_at) + LIFETIME,
        )
        FileJob.objects.filter(pk=job.pk).update(created_at=old.created_at)
        _retarget_log(apps, old.pk, job.pk)


def from_jobs(apps, schema_editor):
    CertificateBatch = apps.get_model("certificates", "CertificateBatch")
    FileJob = apps.get_model("jobs", "FileJob")
    for job in FileJob.objects.filter(kind=KIND).order_by("pk").iterator():
        if job.requested_by_id is None:
            continue  # the old table required a requester
        state = job.state if job.state in ("pending", "running", "done", "failed") else "failed"
        old = CertificateBatch.objects.create(
            requested_by_id=job.requested_by_id,
            district_id=job.district_id,
            course_id=job.params.get("course_id"),
            wave_id=job.params.get("wave_id"),
            format=job.params.get("format", "zip"),
            status=state,
            certificate_count=job.result.get("certificate_count", 0),
            file=job.file.name if job.file else "",
            error=job.error,
            finished_at=job.finished_at,
        )
        CertificateBatch.objects.filter(pk=old.pk).update(created_at=job.created_at)
        _retarget_log(apps, job.pk, old.pk)
    FileJob.objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_certificate_trigram_indexes"),
        ("jobs", "0001_file_job"),
        ("wagtailcore", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(to_jobs, from_jobs),
        migrations.DeleteModel(name="CertificateBatch"),
        migrations.CreateModel(
            name="CertificateBatch",
            fields=[],
            options={
                "verbose_name": "证书批量下载",
                "verbose_name_plural": "证书批量下载",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("jobs.filejob",),
        ),
    ]

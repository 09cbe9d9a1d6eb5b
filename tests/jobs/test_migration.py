"""The data migration that turns RosterExport and CertificateBatch rows into background file
jobs (and back): every row, its file, its parameters, its dates and its audit log entries."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("rollout", "0001_initial"),
    ("certificates", "0002_certificate_trigram_indexes"),
    ("jobs", "0001_file_job"),
]
AFTER = [
    ("rollout", "0002_roster_export_as_file_job"),
    ("certificates", "0003_certificate_batch_as_file_job"),
]

# Run in a process of its own (make test): migrating back and forth in a shared test database
# leaves state that broke later transactional tests on the same worker.
pytestmark = pytest.mark.migration


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exports_and_batches_become_file_jobs_and_back():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    District = old.get_model("lms", "District")
    RosterExport = old.get_model("rollout", "RosterExport")
    CertificateBatch = old.get_model("certificates", "CertificateBatch")
    ContentType = old.get_model("contenttypes", "ContentType")
    LogEntry = old.get_model("wagtailcore", "ModelLogEntry")
    admin = User.objects.create(username="mig-admin")
    hp = District.objects.get(code="HP")
    long_ago = timezone.now() - datetime.timedelta(days=30)
    export = RosterExport.objects.create(
        requested_by=admin,
        district=hp,
        filters={"district_ids": [hp.pk], "status": "overdue"},
        format="csv",
        status="done",
        file="roster_exports/roster-1.csv",
        row_count=42,
        finished_at=long_ago,
    )
    RosterExport.objects.filter(pk=export.pk).update(created_at=long_ago)
    CertificateBatch.objects.create(
        requested_by=admin,
        district=hp,
        format="pdf",
        status="failed",
        wave_id=7,
        certificate_count=3,
        error="磁盘已满",
    )
    ct, _created = ContentType.objects.get_or_create(app_label="rollout", model="rosterexport")
    LogEntry.objects.create(
        content_type=ct, object_id=str(export.pk), label="x", action="rollout.export",
        timestamp=long_ago,
    )  # fmt: skip

    new = migrate(AFTER)
    FileJob = new.get_model("jobs", "FileJob")
    job = FileJob.objects.get(kind="roster_export")
    assert job.state == "done" and job.requested_by_id == admin.pk and job.district_id == hp.pk
    assert job.params["filters"] == {"district_ids": [hp.pk], "status": "overdue"}
    assert job.params["format"] == "csv" and job.result == {"row_count": 42}
    assert job.file.name == "roster_exports/roster-1.csv"  # the stored file is not moved
    assert job.created_at == long_ago and job.finished_at == long_ago
    assert job.expires_at > timezone.now()  # old exports stay downloadable for a week
    assert new.get_model("wagtailcore", "ModelLogEntry").objects.get().object_id == str(job.pk)
    batch_job = FileJob.objects.get(kind="certificate_batch")
    assert batch_job.state == "failed" and batch_job.error == "磁盘已满"
    assert batch_job.params["format"] == "pdf" and batch_job.params["wave_id"] == 7
    assert batch_job.result == {"certificate_count": 3}

    back = migrate(BEFORE)
    restored = back.get_model("rollout", "RosterExport").objects.get()
    assert (restored.format, restored.row_count, restored.status) == ("csv", 42, "done")
    assert restored.filters["status"] == "overdue" and restored.created_at == long_ago
    assert back.get_model("certificates", "CertificateBatch").objects.get().wave_id == 7
    assert not back.get_model("jobs", "FileJob").objects.exists()
    migrate([("rollout", "0002_roster_export_as_file_job"), *AFTER[1:]])  # leave it migrated


@pytest.mark.django_db
def test_proxies_keep_the_kind_code_working():
    from certificates.models import CertificateBatch
    from lms.jobs.models import FileJob
    from lms.rollout.models import RosterExport
    from tests.factories import make_user

    user = make_user()
    export = RosterExport.objects.create(
        requested_by=user, filters={"status": "x"}, format="csv", status="pending"
    )
    export.status = RosterExport.Status.RUNNING
    export.save(update_fields=["status"])
    export.row_count = 5
    export.save()
    job = FileJob.objects.get(pk=export.pk)
    assert job.kind == "roster_export" and job.state == "running"
    assert job.params == {"filters": {"status": "x"}, "format": "csv"}
    assert job.result == {"row_count": 5}
    batch = CertificateBatch.objects.create(requested_by=user, format=CertificateBatch.MERGED)
    assert batch.get_format_display() == "合并 PDF（打印用）"
    assert list(RosterExport.objects.all()) == [export]
    assert list(CertificateBatch.objects.all()) == [batch]
    assert FileJob.objects.count() == 2

"""scripts/backup.sh and scripts/restore.sh round trip (PostgreSQL only)."""

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.db import connection

from lms.organisation import roles
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
RESTORE_DB = "lms_restore_test"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def database_url(name):
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def drop_restore_db():
    subprocess.run(
        [
            "psql",
            database_url("postgres"),
            "-X",
            "-q",
            "-c",
            f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)',
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_and_restore_round_trip(tmp_path, settings):
    for i in range(5):
        make_user(roles.WINDOW_STAFF, username=f"backup{i}")
    (Path(settings.MEDIA_ROOT) / "documents").mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "documents" / "guide.pdf").write_bytes(b"%PDF-1.4")
    (Path(settings.PRIVATE_MEDIA_ROOT) / "certificates").mkdir(parents=True)
    (Path(settings.PRIVATE_MEDIA_ROOT) / "certificates" / "c.pdf").write_bytes(b"%PDF-1.4")

    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    backup = subprocess.run(
        ["bash", "scripts/backup.sh", str(tmp_path / "backups")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert backup.returncode == 0, backup.stderr
    dest = Path(backup.stdout.strip().splitlines()[-1])
    assert dest.parent == tmp_path / "backups"
    counts = json.loads((dest / "counts.json").read_text())
    assert counts["auth_user"] == 5 and counts["lms_staffprofile"] == 5
    assert counts["lms_district"] == 16
    with tarfile.open(dest / "media.tar.gz") as archive:
        names = archive.getnames()
    assert "media/documents/guide.pdf" in names and "private/certificates/c.pdf" in names

    drop_restore_db()
    try:
        restore = subprocess.run(
            ["bash", "scripts/restore.sh", str(dest), RESTORE_DB],
            cwd=ROOT,
            env={**env, "RESTORE_MEDIA_TO": str(tmp_path / "restored")},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert restore.returncode == 0, restore.stderr
        assert "match counts.json" in restore.stdout
        assert (tmp_path / "restored" / "private" / "certificates" / "c.pdf").exists()
        users = subprocess.run(
            [
                "psql",
                database_url(RESTORE_DB),
                "-X",
                "-A",
                "-t",
                "-c",
                "SELECT string_agg(username, ',' ORDER BY username) FROM auth_user",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        assert users == "backup0,backup1,backup2,backup3,backup4"

        # A second restore into the now non-empty database is refused.
        again = subprocess.run(
            ["bash", "scripts/restore.sh", str(dest), RESTORE_DB],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 2 and "not empty" in again.stderr

        # A tampered counts.json is detected.
        drop_restore_db()
        counts["auth_user"] = 6
        (dest / "counts.json").write_text(json.dumps(counts))
        bad = subprocess.run(
            ["bash", "scripts/restore.sh", str(dest), RESTORE_DB],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert bad.returncode == 1 and "differ" in bad.stderr
        assert "auth_user 6 5" in bad.stderr
    finally:
        drop_restore_db()

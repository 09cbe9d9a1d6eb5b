"""The embedded database under concurrent writes (issue 18, finding 8): fast autosaves from
several requests at once must never fail with "database is locked".

Each autosave reads the attempt, then writes the answer, in one transaction. With SQLite's
default deferred transactions two such transactions both read, then both try to write; in WAL
mode the second one's upgrade to a writer fails at once with SQLITE_BUSY ("database is
locked") whatever the busy timeout. ``transaction_mode: IMMEDIATE`` (settings/base.py) takes
the write lock at BEGIN, where the busy timeout applies, so writers queue instead."""

import copy
import threading

import pytest
from django.conf import settings
from django.db import connections, transaction

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="the embedded database only",
    ),
]

ALIAS = "sqlite_file_under_test"
THREADS = 8
SAVES = 40


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """A file database configured like the default one (the settings' OPTIONS), outside the
    test database (no test transaction around it)."""
    with django_db_blocker.unblock():
        yield from _file_database(tmp_path)


def _file_database(tmp_path):
    config = copy.deepcopy(connections.settings["default"])
    config["NAME"] = str(tmp_path / "concurrency.sqlite3")
    config["TEST"] = {**config.get("TEST", {}), "NAME": config["NAME"]}
    connections.settings[ALIAS] = config
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("CREATE TABLE attempt (id INTEGER PRIMARY KEY, status TEXT)")
        cursor.execute("CREATE TABLE answer (position INTEGER PRIMARY KEY, value INTEGER)")
        cursor.execute("INSERT INTO attempt VALUES (1, 'in_progress')")
        cursor.executemany("INSERT INTO answer VALUES (%s, 0)", [(i,) for i in range(THREADS)])
    yield ALIAS
    connections[ALIAS].close()
    del connections.settings[ALIAS]


def test_settings_make_sqlite_transactions_take_the_write_lock_first():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_rapid_concurrent_autosaves_all_land(file_database):
    errors = []
    barrier = threading.Barrier(THREADS)

    def typist(position):
        try:
            barrier.wait()
            for value in range(1, SAVES + 1):
                # The shape of quizzes.attempts.save_answer: read the attempt, write an answer.
                with (
                    transaction.atomic(using=file_database),
                    connections[file_database].cursor() as cursor,
                ):
                    cursor.execute("SELECT status FROM attempt WHERE id = 1")
                    assert cursor.fetchone()[0] == "in_progress"
                    cursor.execute(
                        "UPDATE answer SET value = %s WHERE position = %s", [value, position]
                    )
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections[file_database].close()

    threads = [threading.Thread(target=typist, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    with connections[file_database].cursor() as cursor:
        cursor.execute("SELECT value FROM answer ORDER BY position")
        assert [row[0] for row in cursor.fetchall()] == [SAVES] * THREADS

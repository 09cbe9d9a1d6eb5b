"""Roster CSV export of ~100,000 rows: ``lms.rollout.exports.iter_csv``, i.e. the roster
ReportView's own export hooks (``RosterSpreadsheetMixin.stream_csv``) run without a request.

- throughput against PostgreSQL's own ``COPY (<the same roster query>) TO STDOUT (FORMAT csv)``
  read by the same process (target: at least 0.25× COPY's rows/s, i.e. export time ≤ 4×);
- peak memory at ~10,000 and ~100,000 rows, each measured in a fresh subprocess (tracemalloc
  peak of Python allocations, and peak RSS growth during the export): target the same (≤ 1.2×).
The COPY figure needs PostgreSQL (skipped on SQLite); the memory figures run on any database.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection
from django.utils import timezone

from .data import districts_with_staff, ensure_dataset

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS_SMALL = 10_000


def consume_export(district_ids):
    from lms.rollout.exports import iter_csv
    from lms.rollout.roster import RosterFilter

    lines = size = 0
    for chunk in iter_csv(RosterFilter(district_ids=district_ids)):
        lines += 1
        size += len(chunk)
    return lines - 1, size  # rows after the header


def copy_reference(district_ids):
    """COPY the roster query's rows as CSV, read completely by this process."""
    from psycopg import ClientCursor

    from lms.rollout.roster import ROW_FIELDS, RosterFilter, roster_queryset

    qs = roster_queryset(RosterFilter(district_ids=district_ids), timezone.now())
    sql, params = qs.values_list(*ROW_FIELDS).query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    literal = ClientCursor(raw).mogrify(sql, params)
    rows = size = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY ({literal}) TO STDOUT (FORMAT csv)") as copy:
        for block in copy:
            size += len(block)
            rows += bytes(block).count(b"\n")
    return rows, size


def measure_in_subprocess(district_ids):
    arg = "all" if district_ids is None else ",".join(map(str, district_ids))
    out = subprocess.run(
        [sys.executable, "-m", "tests.perf.bench_export", arg],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(record):
    ensure_dataset()
    small_districts, _staff = districts_with_staff(ROWS_SMALL // 3)
    small = measure_in_subprocess(small_districts)
    large = measure_in_subprocess(None)
    print(f"  export memory: {small} vs {large}", flush=True)
    record(
        f"export_tracemalloc_peak_{large['rows']}_vs_{small['rows']}_rows_mb",
        large["peak_mb"],
        small["peak_mb"],
        target=1.2,
        unit="MB",
    )
    record(
        f"export_rss_growth_{large['rows']}_vs_{small['rows']}_rows_mb",
        large["rss_growth_mb"],
        max(small["rss_growth_mb"], 1.0),
        target=1.2,
        unit="MB",
    )
    if connection.vendor != "postgresql":
        record.skip("export_csv_vs_copy", "needs PostgreSQL (COPY); set DATABASE_URL")
        return
    started = time.perf_counter()
    rows, _size = consume_export(None)
    t_export = time.perf_counter() - started
    started = time.perf_counter()
    copy_rows, _copy_size = copy_reference(None)
    t_copy = time.perf_counter() - started
    if copy_rows != rows:
        print(f"  WARNING: export {rows} rows, COPY {copy_rows} rows", flush=True)
    print(
        f"  export {rows} rows in {t_export:.2f}s ({rows / t_export:,.0f} rows/s); "
        f"COPY {copy_rows} rows in {t_copy:.2f}s ({copy_rows / t_copy:,.0f} rows/s)",
        flush=True,
    )
    record(
        f"export_csv_{rows}_rows_rows_per_s",
        rows / t_export,
        copy_rows / t_copy,
        target=0.25,
        unit="/s",
        higher_is_better=True,
    )


def _child(arg):
    """Run in a fresh interpreter: one export, print its memory figures as JSON."""
    import tracemalloc

    import django

    django.setup()
    district_ids = None if arg == "all" else [int(x) for x in arg.split(",")]
    connection.ensure_connection()
    from lms.rollout import exports  # noqa: F401  (imports outside the measurement)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows, _ = consume_export(district_ids)
    seconds = time.perf_counter() - started
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    tracemalloc.start()
    consume_export(district_ids)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 3),
                "peak_mb": round(peak / 2**20, 2),
                "rss_growth_mb": round(rss_growth / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    _child(sys.argv[1])

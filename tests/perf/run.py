"""Benchmark runner: ``python -m tests.perf.run`` (``make bench``).

Each ``tests/perf/bench_*.py`` module defines ``run(record)`` and calls
``record(name, value, reference=None, target=..., unit="", compare="ratio")`` per figure:
``compare="ratio"`` checks value/reference <= target, ``compare="value"`` checks value <= target;
``higher_is_better=True`` turns the check into >= (throughputs). A bench that cannot run here
(e.g. PostgreSQL-only) calls ``skip(name, reason)``.
Prints one table, writes var/bench.json and exits 1 if any target is missed.
Run a subset with ``python -m tests.perf.run certificates``.

Database: ``DATABASE_URL`` if set; otherwise the local PostgreSQL database ``lms_bench``
(created if the server at 127.0.0.1:5432 is reachable), else ``var/bench.sqlite3``. Never the
development database. Benches that need data call ``tests.perf.data.ensure_dataset()``, which
migrates and runs ``generate_load_data`` once (reused while the data set matches).
"""

import importlib
import json
import os
import pkgutil
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def choose_database():
    """Set DATABASE_URL for the benchmarks (see the module docstring)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    url = "sqlite:///" + str(ROOT / "var" / "bench.sqlite3")
    try:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3, autocommit=True
        ) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'lms_bench'").fetchone():
                conn.execute("CREATE DATABASE lms_bench")
        url = "postgres://postgres@127.0.0.1:5432/lms_bench"
    except Exception as exc:  # no PostgreSQL here: SQLite, PostgreSQL-only benches skip
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}); using {url}")
    os.environ["DATABASE_URL"] = url
    return url


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
    print(f"database: {choose_database()}", flush=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    figures = {}

    def record(
        name, value, reference=None, target=None, unit="", compare="ratio", higher_is_better=False
    ):
        ratio = (value / reference) if reference else None
        checked = ratio if compare == "ratio" else value
        if target is None:
            met = True
        elif checked is None:
            met = False
        else:
            met = checked >= target if higher_is_better else checked <= target
        figures[name] = {
            "value": round(value, 4),
            "reference": round(reference, 4) if reference is not None else None,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "target": target,
            "compare": compare,
            "higher_is_better": higher_is_better,
            "unit": unit,
            "met": bool(met),
        }

    def skip(name, reason):
        print(f"  skipped {name}: {reason}", flush=True)
        skipped[name] = reason

    record.skip = skip
    skipped = {}

    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    for name in names:
        module = importlib.import_module(f"tests.perf.{name}")
        if not hasattr(module, "run"):
            continue  # e.g. bench_settings: the gunicorn benchmarks' settings, not a bench
        print(f"running {name} …", flush=True)
        try:
            module.run(record)
        except Exception:  # one broken bench must not hide the others' figures
            traceback.print_exc()
            record(f"{name}_error", 1, target=0, compare="value")

    header = f"{'figure':<40} {'value':>12} {'reference':>12} {'ratio':>8} {'target':>10}  met"
    print(header)
    print("-" * len(header))
    for name, f in figures.items():
        ref = "" if f["reference"] is None else f"{f['reference']:.4g}"
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.3g}"
        sign = "≥" if f.get("higher_is_better") else "≤"
        target = (
            ""
            if f["target"] is None
            else f"{sign}{f['target']}{'×' if f['compare'] == 'ratio' else ''}"
        )
        value = f"{f['value']:.4g}{f['unit']}"
        met = "yes" if f["met"] else "NO"
        print(f"{name:<40} {value:>12} {ref:>12} {ratio:>8} {target:>10}  {met}")
    for name, reason in skipped.items():
        print(f"{name:<40} {'skipped: ' + reason}")
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() and argv else {}
    existing.update(figures)
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0 if all(f["met"] for f in figures.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark runner: ``python -m tests.perf.run`` (``make bench``).

Each ``tests/perf/bench_*.py`` module defines ``run(record)`` and calls
``record(name, value, reference=None, target=..., unit="", compare="ratio")`` per figure:
``compare="ratio"`` checks value/reference <= target, ``compare="value"`` checks value <= target.
Prints one table, writes var/bench.json and exits 1 if any target is missed.
Run a subset with ``python -m tests.perf.run certificates``.
"""

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    figures = {}

    def record(name, value, reference=None, target=None, unit="", compare="ratio"):
        ratio = (value / reference) if reference else None
        checked = ratio if compare == "ratio" else value
        met = target is None or (checked is not None and checked <= target)
        figures[name] = {
            "value": round(value, 4),
            "reference": round(reference, 4) if reference is not None else None,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "target": target,
            "compare": compare,
            "unit": unit,
            "met": bool(met),
        }

    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    for name in names:
        module = importlib.import_module(f"tests.perf.{name}")
        print(f"running {name} …", flush=True)
        module.run(record)

    header = f"{'figure':<40} {'value':>12} {'reference':>12} {'ratio':>8} {'target':>10}  met"
    print(header)
    print("-" * len(header))
    for name, f in figures.items():
        ref = "" if f["reference"] is None else f"{f['reference']:.4g}"
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.3g}"
        target = (
            "" if f["target"] is None else f"{'×' if f['compare'] == 'ratio' else '≤'}{f['target']}"
        )
        value = f"{f['value']:.4g}{f['unit']}"
        met = "yes" if f["met"] else "NO"
        print(f"{name:<40} {value:>12} {ref:>12} {ratio:>8} {target:>10}  {met}")
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    existing = json.loads(out.read_text()) if out.exists() and argv else {}
    existing.update(figures)
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False))
    print(f"wrote {out}")
    return 0 if all(f["met"] for f in figures.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark data set: migrated database + ``generate_load_data`` (built once, reused).

``BENCH_STAFF`` (default 34,000: 102,000 roster rows with the three required courses) sets
its size; the data set is rebuilt when the number of generated staff differs.
"""

import os
import time

from django.core.management import call_command

STAFF = int(os.environ.get("BENCH_STAFF", "34000"))
SEED = 2026
_ready = False


def ensure_dataset(staff=STAFF):
    global _ready
    if _ready:
        return
    from django.contrib.auth import get_user_model

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    have = get_user_model().objects.filter(username__startswith="load-").count()
    if have != staff:
        print(f"  building the data set: {staff} staff (was {have}) …", flush=True)
        call_command("generate_load_data", staff=staff, seed=SEED, clear=True)
    print(f"  data set ready in {time.perf_counter() - started:.1f}s", flush=True)
    _ready = True


def timed(func, repeat=5, warmup=1):
    """Median wall time of ``func()`` over ``repeat`` runs (after ``warmup`` runs)."""
    import statistics

    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def districts_with_staff(target_staff):
    """District ids (smallest first) whose generated staff add up to about ``target_staff``."""
    from django.db.models import Count

    from lms.organisation.models import StaffProfile

    rows = (
        StaffProfile.objects.active()
        .values("district_id")
        .annotate(n=Count("id"))
        .order_by("n", "district_id")
    )
    chosen, total = [], 0
    for row in rows:
        if total >= target_staff:
            break
        chosen.append(row["district_id"])
        total += row["n"]
    return chosen, total

"""Dashboard numbers (a constant number of queries) and chart geometry (inline SVG/CSS, no JS)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from lms.formats.numbers import percent

from .models import RolloutWave
from .roster import (
    RosterFilter,
    counts_by_district_course,
    districts_for,
    people_by_district,
    roster_values,
    weekly_completions,
)

METRICS = ["enrolled", "completed", "overdue", "passed", "certified"]
# Enrolment counts only the by-district numbers have (counts_by_district_course).
SESSION_METRICS = ["attended", "with_sessions"]
PEOPLE = ["staff", "authorised", "not_enrolled"]


@dataclass
class Line:
    label: str
    obj: object = None
    numbers: dict = field(
        default_factory=lambda: dict.fromkeys(METRICS + SESSION_METRICS + PEOPLE, 0)
    )

    @property
    def completion_rate(self):
        n = self.numbers
        return percent(n["completed"], n["enrolled"], default=0)

    @property
    def authorised_rate(self):
        n = self.numbers
        return percent(n["authorised"], n["staff"], default=0)


def city_numbers(filt: RosterFilter, now=None):
    """Numbers by district, by wave, and the total. Seven queries whatever the data size."""
    now = now or timezone.now()
    filt.resolve()
    districts = districts_for(filt)
    counts = counts_by_district_course(filt, now)
    people = people_by_district(filt, now)

    by_district = {d.pk: Line(d.display_name, d) for d in districts}
    total = Line("合计")
    for (district_id, _course_id), row in counts.items():
        line = by_district.get(district_id)
        if line is None:
            continue
        for key in METRICS + SESSION_METRICS:
            line.numbers[key] += row[key]
            total.numbers[key] += row[key]
    for district_id, row in people.items():
        line = by_district.get(district_id)
        if line is None:
            continue
        for key in PEOPLE:
            line.numbers[key] += row[key]
            total.numbers[key] += row[key]

    waves = RolloutWave.objects.prefetch_related("districts", "courses").order_by("-opens_on")
    if filt.district_ids is not None:
        waves = waves.filter(districts__in=filt.district_ids).distinct()
    by_wave = []
    wave_counts = counts_by_wave(filt, now)
    for wave in waves:
        line = Line(wave.name, wave)
        district_ids = {d.pk for d in wave.districts.all()} & set(by_district)
        # What the wave enrolled (its WaveEnrolment links), not every enrolment of its
        # districts in its courses.
        for key, value in wave_counts.get(wave.pk, {}).items():
            line.numbers[key] += value
        for district_id in district_ids:
            for key in ("staff", "authorised"):
                line.numbers[key] += people.get(district_id, {}).get(key, 0)
        by_wave.append(line)

    return {
        "by_district": list(by_district.values()),
        "by_wave": by_wave,
        "total": total,
        "weekly": weekly_completions(filt),
    }


def counts_by_wave(filt: RosterFilter, now=None) -> dict:
    """{wave_id: {enrolled, completed, overdue, passed, certified}} of the enrolments each wave
    created (within the filter), in one query, with the same passed/certified building blocks
    as the district counts."""
    from django.db.models import Count
    from django_cte import with_cte

    from courses.completion import completed_q, overdue_q

    from .roster import _left_join, certified_cte, enrollment_queryset, passed_cte

    now = now or timezone.now()
    qs = enrollment_queryset(filt).filter(wave_links__isnull=False)
    counts = {
        "enrolled": Count("id"),
        "completed": Count("id", filter=completed_q()),
        "overdue": Count("id", filter=overdue_q(now)),
    }
    ctes = []
    for name, cte in (("passed", passed_cte()), ("certified", certified_cte(now))):
        qs = _left_join(cte, qs, user_id="user_id", course_id="course_id")
        counts[name] = Count(cte.col.user_id)
        ctes.append(cte)
    qs = qs.values("wave_links__wave_id").annotate(**counts).order_by()
    qs = with_cte(*ctes, select=qs)
    return {row.pop("wave_links__wave_id"): row for row in qs}


def bars(lines, metric="completed", of="enrolled"):
    """Horizontal bar geometry: label, value, percentage width of the widest bar."""
    top = max([line.numbers[of] for line in lines] + [1])
    return [
        {
            "label": line.label,
            "value": line.numbers[metric],
            "base": line.numbers[of],
            "width": round(100 * line.numbers[of] / top, 1),
            "fill": round(100 * line.numbers[metric] / line.numbers[of], 1)
            if line.numbers[of]
            else 0,
        }
        for line in lines
    ]


def cumulative_chart(weekly, width=640, height=220, left=56, right=20, top=16, bottom=44):
    """An SVG line chart of cumulative completions per week, with a labelled y axis (ticks at
    round values) and x axis (first, middle and last week)."""
    if not weekly:
        return None
    cumulative, total = [], 0
    for week, n in weekly:
        total += n
        cumulative.append((week, total))
    ticks = nice_ticks(total)
    top_value = max(ticks[-1], 1)
    steps = max(len(cumulative) - 1, 1)
    inner_w, inner_h = width - left - right, height - top - bottom
    base = top + inner_h
    points = []
    for i, (week, value) in enumerate(cumulative):
        x = left + inner_w * i / steps if len(cumulative) > 1 else left + inner_w / 2
        y = top + inner_h * (1 - value / top_value)
        points.append({"x": round(x, 1), "y": round(y, 1), "week": week, "value": value})
    line = " ".join(f"{p['x']},{p['y']}" for p in points)
    area = f"{points[0]['x']},{base} {line} {points[-1]['x']},{base}"
    y_ticks = [
        {"y": round(top + inner_h * (1 - t / top_value), 1), "label": t, "text_y": 0} for t in ticks
    ]
    for t in y_ticks:
        t["text_y"] = t["y"] + 4
    shown = sorted({0, len(points) // 2, len(points) - 1})
    x_ticks = [{"x": points[i]["x"], "label": points[i]["week"]} for i in shown]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "base": base,
        "line": line,
        "area": area,
        "points": points,
        "total": total,
        "first": cumulative[0][0],
        "last": cumulative[-1][0],
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "x_label_y": base + 18,
        "x_title_y": height - 6,
        "mid_x": left + inner_w / 2,
        "mid_y": top + inner_h / 2,
    }


def district_matrix(filt: RosterFilter, now=None):
    """The district view: each staff member's status per course and authorisation. Each cell
    is a roster row with the roster's status (``roster.row_status``, the learner's words:
    未开始, 学习中, 已逾期, 已完成, 已获证书) and its label and badge. Three queries (courses,
    districts, roster rows)."""
    from .roster import STATUS_BADGES, STATUS_LABELS

    now = now or timezone.now()
    people = {}
    course_codes = {}
    for row in roster_values(filt, now=now):
        person = people.setdefault(
            row["employee_no"],
            {
                "full_name": row["full_name"],
                "employee_no": row["employee_no"],
                "service_centre": row["service_centre"],
                "authorised": row["authorised"],
                "courses": {},
            },
        )
        if row["enrolled"]:
            row["status_label"] = STATUS_LABELS[row["status"]]
            row["status_badge"] = STATUS_BADGES.get(row["status"], "badge")
            course_codes[row["course_code"]] = row["course_title"]
            person["courses"][row["course_code"]] = row
    codes = sorted(course_codes)
    for person in people.values():
        person["cells"] = [person["courses"].get(code) for code in codes]
    return {
        "courses": [(code, course_codes[code]) for code in codes],
        "people": list(people.values()),
    }


def totals_from_rows(rows):
    """The dashboard numbers recomputed from export rows (used to check both agree)."""
    totals = defaultdict(int)
    authorised, staff = set(), set()
    for row in rows:
        staff.add(row["employee_no"])
        if row["authorised"]:
            authorised.add(row["employee_no"])
        if not row["enrolled"]:
            totals["not_enrolled"] += 1
            continue
        totals["enrolled"] += 1
        totals["completed"] += row["completed_at"] is not None
        totals["overdue"] += row["status"] == "overdue"
        totals["passed"] += bool(row["passed"])
        totals["certified"] += row["cert_serial"] is not None
    totals["staff"] = len(staff)
    totals["authorised"] = len(authorised)
    return dict(totals)


# -- people, not enrolments --------------------------------------------------------------------

PEOPLE_METRICS = ["enrolled_people", "completed_people", "certified_people", "overdue_people"]


def progress_by_district(filt: RosterFilter, now=None) -> dict:
    """{district_id: {enrolled_people, completed_people, certified_people, overdue_people}} in
    one query: each person's enrolments (those the filter covers) are summed per person first
    (``roster.per_person_cte``), then people are counted per district with the per-person
    rules (``roster.person_conditions``: completed when every enrolment is complete, certified
    when every enrolled course holds a valid certificate, overdue when any enrolment is
    overdue). The roster's "people" filter lists the same people."""
    from django.db.models import Count
    from django_cte import with_cte

    from .roster import (
        CERTIFIED_PEOPLE,
        COMPLETED_PEOPLE,
        ENROLLED_PEOPLE,
        OVERDUE_PEOPLE,
        per_person_cte,
        person_conditions,
    )

    now = now or timezone.now()
    ctes, per_user = per_person_cte(filt, now)
    rules = person_conditions(per_user)
    user = per_user.col.user_id
    totals = {
        "enrolled_people": Count(user, filter=rules[ENROLLED_PEOPLE]),
        "completed_people": Count(user, filter=rules[COMPLETED_PEOPLE]),
        "overdue_people": Count(user, filter=rules[OVERDUE_PEOPLE]),
        "certified_people": Count(user, filter=rules[CERTIFIED_PEOPLE]),
    }
    rows = with_cte(
        *ctes,
        per_user,
        select=per_user.queryset().values("district_id").annotate(**totals).order_by(),
    )
    result = {}
    for row in rows:
        district_id = row.pop("district_id")
        row.setdefault("certified_people", 0)
        result[district_id] = row
    return result


def district_table(numbers: dict, progress: dict) -> dict:
    """The by-district table rows (people-based percentages), districts with staff first and
    the empty ones apart (collapsed on the page), and the totals."""
    rows, empty = [], []
    total = dict.fromkeys(["staff", "authorised", *SESSION_METRICS, *PEOPLE_METRICS], 0)
    for line in numbers["by_district"]:
        p = progress.get(line.obj.pk, {})
        row = {
            "line": line,
            "district": line.obj,
            "staff": line.numbers["staff"],
            "authorised": line.numbers["authorised"],
            **{k: line.numbers[k] for k in SESSION_METRICS},
            **{k: p.get(k, 0) for k in PEOPLE_METRICS},
        }
        for key in total:
            total[key] += row[key]
        (rows if row["staff"] else empty).append(_rates(row))
    return {"rows": rows, "empty": empty, "total": _rates(total)}


def _rates(row):
    row["completed_pct"] = percent(row["completed_people"], row["enrolled_people"])
    row["certified_pct"] = percent(row["certified_people"], row["enrolled_people"])
    row["authorised_pct"] = percent(row["authorised"], row["staff"])
    # Enrolments in courses with sessions whose learner was present (None: no sessions).
    row["attended_pct"] = percent(row["attended"], row["with_sessions"])
    return row


SORT_KEYS = [
    "name",
    "staff",
    "enrolled_people",
    "completed_pct",
    "certified_pct",
    "authorised_pct",
    "overdue_people",
    "attended_pct",
]


def sort_rows(rows: list, key: str, descending: bool) -> list:
    """Sort the by-district rows by a column (unknown keys: the districts' own order)."""
    if key not in SORT_KEYS or key == "name":
        ordered = sorted(rows, key=lambda r: r["district"].sort_order)
        return list(reversed(ordered)) if descending and key == "name" else ordered
    missing = -1 if descending else 10**9  # rows without a percentage go last
    return sorted(
        rows,
        key=lambda r: (r[key] if r[key] is not None else missing, -r["district"].sort_order),
        reverse=descending,
    )


def authorised_chart(rows: list, width=640, bar=18, gap=6, left=90, right=50, top=10):
    """Horizontal bars of authorised % by district, x axis 0-100 % with ticks (SVG geometry).
    ``rows`` come from district_table (districts with staff)."""
    if not rows:
        return None
    inner = width - left - right
    bottom = top + len(rows) * (bar + gap)
    bars = []
    for i, row in enumerate(rows):
        pct = row["authorised_pct"] or 0
        y = top + i * (bar + gap)
        bars.append(
            {
                "label": row["district"].display_name,
                "pct": pct,
                "y": y,
                "text_y": y + bar * 0.75,
                "w": round(inner * pct / 100, 1),
                "value_x": round(left + inner * pct / 100 + 4, 1),
            }
        )
    ticks = [
        {"x": round(left + inner * t / 100, 1), "label": f"{t}%"} for t in (0, 25, 50, 75, 100)
    ]
    return {
        "width": width,
        "height": bottom + 40,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": bottom,
        "bar": bar,
        "bars": bars,
        "ticks": ticks,
        "axis_label_y": bottom + 34,
        "tick_label_y": bottom + 16,
        "mid": left + inner / 2,
    }


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round y-axis tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return list(range(0, int(step * count) + 1, int(step))) if step >= 1 else [0, top]

"""Dashboard numbers (a constant number of queries) and chart geometry (inline SVG/CSS, no JS)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from courses.models import CoursePage

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
PEOPLE = ["staff", "authorised", "not_enrolled"]


@dataclass
class Line:
    label: str
    obj: object = None
    numbers: dict = field(default_factory=lambda: dict.fromkeys(METRICS + PEOPLE, 0))

    @property
    def completion_rate(self):
        n = self.numbers
        return round(100 * n["completed"] / n["enrolled"]) if n["enrolled"] else 0

    @property
    def authorised_rate(self):
        n = self.numbers
        return round(100 * n["authorised"] / n["staff"]) if n["staff"] else 0


def city_numbers(filt: RosterFilter, now=None):
    """Numbers by district, by wave, and the total. Seven queries whatever the data size."""
    now = now or timezone.now()
    filt.resolve()
    districts = districts_for(filt)
    counts = counts_by_district_course(filt, now)
    people = people_by_district(filt, now)

    by_district = {d.pk: Line(d.name_zh, d) for d in districts}
    total = Line("合计")
    for (district_id, _course_id), row in counts.items():
        line = by_district.get(district_id)
        if line is None:
            continue
        for key in METRICS:
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
    for wave in waves:
        line = Line(wave.name, wave)
        district_ids = {d.pk for d in wave.districts.all()} & set(by_district)
        course_ids = {c.pk for c in wave.courses.all()}
        for (district_id, course_id), row in counts.items():
            if district_id in district_ids and course_id in course_ids:
                for key in METRICS:
                    line.numbers[key] += row[key]
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


def cumulative_chart(weekly, width=640, height=180, pad=30):
    """An SVG area/line chart of cumulative completions per week (points as strings)."""
    if not weekly:
        return None
    cumulative, total = [], 0
    for week, n in weekly:
        total += n
        cumulative.append((week, total))
    top = max(total, 1)
    steps = max(len(cumulative) - 1, 1)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = []
    for i, (week, value) in enumerate(cumulative):
        x = pad + inner_w * i / steps
        y = pad + inner_h * (1 - value / top)
        points.append({"x": round(x, 1), "y": round(y, 1), "week": week, "value": value})
    line = " ".join(f"{p['x']},{p['y']}" for p in points)
    base = pad + inner_h
    area = f"{points[0]['x']},{base} {line} {points[-1]['x']},{base}"
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "base": base,
        "right": width - pad,
        "line": line,
        "area": area,
        "points": points,
        "total": total,
        "first": cumulative[0][0],
        "last": cumulative[-1][0],
    }


def district_matrix(filt: RosterFilter, now=None):
    """The district view: each staff member's status per course and authorisation.
    Two queries (courses, roster rows)."""
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
            course_codes[row["course_code"]] = row["course_title"]
            person["courses"][row["course_code"]] = row
    codes = sorted(course_codes)
    for person in people.values():
        person["cells"] = [person["courses"].get(code) for code in codes]
    return {
        "courses": [(code, course_codes[code]) for code in codes],
        "people": list(people.values()),
    }


def course_titles():
    return dict(CoursePage.objects.values_list("pk", "title"))


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

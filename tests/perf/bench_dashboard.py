"""City dashboard numbers (lms.rollout.dashboards.city_numbers) for about 10,000 staff, against
one hand-written aggregate SQL query computing the same per-district numbers.

The reference leaves out the waves and the weekly chart that city_numbers also computes, so
the ratio is if anything pessimistic for the application. Both results are compared first.
"""

from collections import defaultdict

from django.db import connection
from django.utils import timezone

from .data import districts_with_staff, ensure_dataset, timed

TARGET_STAFF = 10_000

SQL = """
WITH staff AS (
    SELECT p.user_id, p.district_id
    FROM lms_staffprofile p JOIN auth_user u ON u.id = p.user_id
    WHERE p.is_active AND u.is_active AND p.district_id IN ({districts})
),
valid AS (
    SELECT DISTINCT user_id, course_id FROM certificates_certificate
    WHERE revoked_at IS NULL AND superseded_at IS NULL AND expires_at > %s
),
passed AS (
    SELECT DISTINCT a.user_id, q.course_id
    FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
    WHERE a.status = 'graded' AND a.passed
),
required AS (
    SELECT c.page_ptr_id AS course_id
    FROM courses_coursepage c JOIN wagtailcore_page pg ON pg.id = c.page_ptr_id
    WHERE c.required_for_authorisation AND pg.live
),
authorised AS (
    SELECT v.user_id FROM valid v JOIN required r ON r.course_id = v.course_id
    GROUP BY v.user_id HAVING COUNT(*) = (SELECT COUNT(*) FROM required)
)
SELECT 'c', s.district_id, e.course_id,
       COUNT(*),
       SUM(CASE WHEN e.completed_at IS NOT NULL OR v.user_id IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.completed_at IS NULL AND v.user_id IS NULL AND e.due_at < %s
                THEN 1 ELSE 0 END),
       SUM(CASE WHEN p.user_id IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN v.user_id IS NOT NULL THEN 1 ELSE 0 END)
FROM courses_enrollment e
JOIN staff s ON s.user_id = e.user_id
LEFT JOIN passed p ON p.user_id = e.user_id AND p.course_id = e.course_id
LEFT JOIN valid v ON v.user_id = e.user_id AND v.course_id = e.course_id
GROUP BY s.district_id, e.course_id
UNION ALL
SELECT 'p', s.district_id, NULL,
       COUNT(*),
       SUM(CASE WHEN a.user_id IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM courses_enrollment e2
                                 WHERE e2.user_id = s.user_id) THEN 1 ELSE 0 END),
       0, 0
FROM staff s LEFT JOIN authorised a ON a.user_id = s.user_id
GROUP BY s.district_id
"""


def hand_written(district_ids, now):
    sql = SQL.format(districts=", ".join(str(int(d)) for d in district_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now])
        rows = cursor.fetchall()
    totals = defaultdict(int)
    for kind, _district, _course, a, b, c, d, e in rows:
        if kind == "c":
            for key, value in zip(
                ("enrolled", "completed", "overdue", "passed", "certified"),
                (a, b, c, d, e),
                strict=True,
            ):
                totals[key] += value or 0
        else:
            for key, value in zip(("staff", "authorised", "not_enrolled"), (a, b, c), strict=True):
                totals[key] += value or 0
    return dict(totals)


def run(record):
    ensure_dataset()
    from lms.rollout.dashboards import city_numbers
    from lms.rollout.roster import RosterFilter

    district_ids, staff = districts_with_staff(TARGET_STAFF)
    now = timezone.now()
    print(f"  dashboard over {len(district_ids)} districts, {staff} staff", flush=True)

    def app():
        return city_numbers(RosterFilter(district_ids=list(district_ids)), now=now)

    numbers = app()["total"].numbers
    reference = hand_written(district_ids, now)
    mismatched = {k: (numbers[k], v) for k, v in reference.items() if numbers.get(k) != v}
    if mismatched:
        print(f"  WARNING dashboard and reference SQL disagree: {mismatched}", flush=True)
    t_app = timed(app, repeat=5)
    t_ref = timed(lambda: hand_written(district_ids, now), repeat=5)
    record(f"dashboard_city_{staff}_staff_ms", t_app * 1000, t_ref * 1000, target=2, unit="ms")
    record(
        "dashboard_matches_reference",
        0 if mismatched else 1,
        target=1,
        compare="value",
        higher_is_better=True,
    )

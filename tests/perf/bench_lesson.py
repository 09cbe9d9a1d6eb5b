"""A lesson page (20 blocks of Chinese rich text, 20-lesson navigation) for a logged-in
learner under gunicorn (production settings), against a trivial login-required view behind the
same middleware for the same user on the same server: throughput (target ≥ 0.5×), p99 latency
at 20 concurrent keep-alive connections, and the page's query count (target ≤ 10)."""

import os

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses import snapshots

from .data import ensure_dataset
from .http import Gunicorn, load, login, merge

CODE = "BENCH-20"
LESSONS = 20
BLOCKS = 20
PARAGRAPH = (
    "<p>窗口工作人员受理<b>专利权质押登记</b>申请时，应当核对申请人身份证明、质押合同、"
    "专利权人同意书等材料是否齐全，并在系统中如实登记受理时间。对材料不全的，一次性告知需要"
    "补正的全部内容；对不属于本窗口受理范围的事项，告知申请人向有关机关申请。</p>"
    "<ul><li>发明专利权的期限为二十年</li><li>实用新型专利权的期限为十年</li></ul>"
)
DURATION = float(os.environ.get("BENCH_HTTP_SECONDS", "10"))
CONNECTIONS = 20
ROUNDS = 4


def ensure_bench_course():
    """A non-required course of 20 lessons × 20 rich-text blocks (created once)."""
    from courses.models import CoursePage, LessonPage, TrainingIndexPage

    course = CoursePage.objects.filter(code=CODE).first()
    if course is None:
        index = TrainingIndexPage.objects.first()
        course = index.add_child(
            instance=CoursePage(
                title="性能测试课程",
                slug="bench-20",
                code=CODE,
                summary="用于性能测试。",
                required_for_authorisation=False,
            )
        )
        course.save_revision().publish()
        body = [{"type": "text", "value": {"text": PARAGRAPH}} for _ in range(BLOCKS)]
        for n in range(1, LESSONS + 1):
            lesson = course.add_child(
                instance=LessonPage(
                    title=f"第{n}讲 专利权质押登记的受理", slug=f"lesson-{n:02d}", body=body
                )
            )
            lesson.save_revision().publish()
    lesson = LessonPage.objects.child_of(course).live().order_by("path")[LESSONS // 2]
    return course, lesson


def run(record):
    ensure_dataset()
    from django.contrib.auth import get_user_model

    from courses.models import Enrollment

    course, lesson = ensure_bench_course()
    user = get_user_model().objects.get(username="load-000001")
    Enrollment.objects.get_or_create(user=user, course=course)
    path = lesson.url
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    # Cold: the first visit of a lesson after a publish (served by Wagtail, which stores the
    # lesson snapshot); warm: every later visit (courses.snapshots). The first page after the
    # publish also caches the site: visit another lesson first.
    snapshots.new_generation()
    assert client.get(course.url).status_code == 200
    counts = {}
    for label in ("cold", "warm"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, response.status_code
        counts[label] = len(queries)
    record("lesson_page_queries", counts["warm"], target=10, compare="value")
    record("lesson_page_queries_cold", counts["cold"], target=10, compare="value")

    with Gunicorn() as server:
        cookie = login(server.host, server.port, "load-000001", "Load-test-2026")
        for url in ("/bench/trivial/", path):  # warm every worker
            load(server.host, server.port, url, cookie, connections=CONNECTIONS, duration=2)
        # Alternate short rounds so that both views see the same share of this shared
        # machine's noise; the figures are over all rounds.
        rounds = {"/bench/trivial/": [], path: []}
        for _ in range(ROUNDS):
            for url, results in rounds.items():
                results.append(
                    load(server.host, server.port, url, cookie, CONNECTIONS, DURATION / ROUNDS)
                )
        trivial, page = (merge(results) for results in rounds.values())
    for label, figures in (("trivial", trivial), ("lesson", page)):
        shown = {k: round(v, 4) for k, v in figures.items() if k != "latencies"}
        print(f"  {label}: {shown}", flush=True)
    if trivial["errors"] or page["errors"]:
        print(f"  WARNING errors: trivial {trivial['errors']}, lesson {page['errors']}")
    record(
        "lesson_page_rps",
        page["rps"],
        trivial["rps"],
        target=0.5,
        unit="/s",
        higher_is_better=True,
    )
    record("lesson_page_p99_ms_at_20_conn", page["p99"] * 1000, trivial["p99"] * 1000, unit="ms")
    record("lesson_page_errors", page["errors"] + trivial["errors"], target=0, compare="value")

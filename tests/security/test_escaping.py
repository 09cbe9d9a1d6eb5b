"""Escaping (issue #9, part 5): script probes in authored content, staff names, question text
and wave names come out inert everywhere: learner pages, admin pages, certificate PDFs and
roster exports (formula injection).

One world is built per test (curriculum loaded from files with raw HTML in Markdown, a GIFT
bank with [html] and [plain] probes, staff named with probes, a wave named with a probe, a
submitted attempt and a certificate) and every page is fetched through the real stack.
"""

import csv
import io
import re
import textwrap
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from certificates.issuing import issue
from courses.loader import load_curriculum
from courses.models import CoursePage, Enrollment, LessonPage
from lms.organisation.models import District
from lms.rollout.exports import HEADER_ROW
from lms.rollout.models import RolloutWave, RosterExport
from quizzes import attempts as svc
from quizzes.formats import parse_gift
from quizzes.importing import import_questions
from quizzes.models import Attempt, Quiz
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _LiveProbeFinder(HTMLParser):
    """Collects what a browser would execute from our probes: a <script> whose body calls
    alert(1), an on* attribute calling alert, a javascript: URL in a URL attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on") and "alert" in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRS and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.found.append(f"<script>{data[:60]}")


def assert_inert(response, where, status=200):
    assert response.status_code == status, (where, response.status_code)
    text = response.content.decode("utf-8", "replace")
    assert SCRIPT not in text, f"raw <script> probe in {where}"
    assert "<img src=x onerror=" not in text, f"raw onerror= probe in {where}"
    finder = _LiveProbeFinder()
    finder.feed(text)
    assert not finder.found, f"live probe in {where}: {finder.found}"
    return text


COURSE_MD = """\
---
code: XSS-1
title: 课程{img}
slug: xss-course
summary: 摘要{script}
objectives:
  - 目标{script}
required: true
---
介绍 {script} {img_md}
"""

LESSON_MD = """\
---
title: 第一讲{script}
slug: xss-lesson
order: 1
summary: 摘要{img}
---
## 标题 {script}

正文 <img src=x onerror=alert(1)> 和 [点我](javascript:alert(1)) 以及
<a href="javascript:alert(1)">raw</a> <iframe src="javascript:alert(1)"></iframe>

<script>alert(1)</script>

<div onmouseover="alert(1)">悬停</div>

- 列表 {script}

::: keypoints 要点{script}
- 要点 <img src=x onerror=alert(1)>
:::

::: faq
Q: 问题 <script>alert(1)</script>
A: 回答 [x](javascript:alert(1))
:::
"""

GIFT = r"""
::XSS-HTML::[html]<p>题目</p><script>alert(1)</script>
<img src\=x onerror\=alert(1)><a href\="javascript\:alert(1)">链接</a>{
=<script>alert(1)</script>对#<img src\=x onerror\=alert(1)>
~"><img src\=x onerror\=alert(1)>错
####解析<script>alert(1)</script>}

::XSS-PLAIN::[plain]题目 <script>alert(1)</script> "><img src\=x onerror\=alert(1)>{
=对 ~<script>alert(1)</script>}

::XSS-SHORT::[html]填空<script>alert(1)</script>{=<b onmouseover\="alert(1)">答</b>}

::XSS-ESSAY::[markdown]论述 <script>alert(1)</script> [x](javascript\:alert(1)){}
"""


@pytest.fixture
def world(tmp_path, client):
    root = tmp_path / "content"
    lessons = root / "courses" / "xss" / "lessons"
    lessons.mkdir(parents=True)
    fmt = {"script": SCRIPT, "img": IMG.replace('"', "'"), "img_md": IMG}
    (root / "courses" / "xss" / "course.md").write_text(
        COURSE_MD.format(**fmt).replace("课程'", '课程"'), "utf-8"
    )
    (lessons / "01.md").write_text(LESSON_MD.format(**fmt), "utf-8")
    load_curriculum(root)
    course = CoursePage.objects.get(code="XSS-1")
    lesson = LessonPage.objects.child_of(course).get(slug="xss-lesson")

    bank = import_questions("XSS 题库", parse_gift(textwrap.dedent(GIFT))).bank
    quiz = Quiz.objects.create(
        title=f"测验{SCRIPT}", bank=bank, course=course, pass_mark=0, show_answers="end"
    )

    learner = make_user("window_staff", full_name=SCRIPT, username="xss-learner")
    colleague = make_user("window_staff", full_name=IMG, username="xss-colleague")
    formula_staff = [
        make_user("window_staff", full_name=value, service_centre=value, username=f"f{i}")
        for i, value in enumerate(FORMULAS)
    ]
    for user in [learner, colleague, *formula_staff]:
        Enrollment.objects.get_or_create(user=user, course=course)

    wave = RolloutWave.objects.create(
        name=f"批次{SCRIPT}",
        opens_on="2026-01-01",
        due_on="2026-12-31",
        status="open",
    )
    wave.districts.set(District.objects.filter(code__in=["HP"]))
    wave.courses.set([course])

    attempt = svc.start_attempt(quiz, learner)
    # A certificate needs a completed enrolment (certificates.issuing): complete them all.
    Enrollment.objects.filter(course=course).update(completed_at=timezone.now())
    certificate = issue(learner, course)
    admin = make_user(None, district=None, username="xss-admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    return {
        "course": course,
        "lesson": lesson,
        "quiz": quiz,
        "learner": learner,
        "attempt": attempt,
        "certificate": certificate,
        "wave": wave,
        "admin": admin,
    }


def test_learner_pages_escape_probes(client, world):
    client.force_login(world["learner"])
    attempt = world["attempt"]
    pages = {
        "lesson page": world["lesson"].url,
        "course page": world["course"].url,
        "quiz landing": reverse("quizzes:quiz", args=[world["quiz"].pk]),
        "attempt page": reverse("quizzes:attempt", args=[attempt.pk]),
        "my training": reverse("home"),
        "certificates page": reverse("certificates:index"),
        "verify page": reverse("verify:verify", args=[world["certificate"].verification_code]),
    }
    texts = {where: assert_inert(client.get(url), where) for where, url in pages.items()}
    # The probes are shown as text, not dropped silently where they are plain text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts["attempt page"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts["certificates page"]
    assert "第一讲&lt;script&gt;" in texts["lesson page"]

    client.post(reverse("quizzes:submit", args=[attempt.pk]), {"q1": "x"})
    attempt.refresh_from_db()
    assert attempt.status in (Attempt.GRADED, Attempt.PENDING)
    result = assert_inert(client.get(reverse("quizzes:result", args=[attempt.pk])), "result")
    assert "&lt;script&gt;" in result
    assert_inert(client.get(reverse("quizzes:history")), "history")


def test_verify_page_reflects_code_escaped(client, world):
    for code in [
        "%3Cscript%3Ealert(1)%3C%5Cscript%3E",
        "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    ]:
        assert_inert(client.get(f"/verify/{code}/"), "verify (unknown code)")
        assert_inert(client.get(f"/verify/{code}.json"), "verify json (unknown code)")


def test_admin_pages_escape_probes(client, world):
    client.force_login(world["admin"])
    hp = District.objects.get(code="HP")
    pages = {
        "staff list": reverse("staffprofile:index"),
        "staff search": reverse("staffprofile:index") + "?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "attempt list": reverse("attempt:index"),
        "marking page": reverse("quizzes_admin:marking"),
        "city dashboard": reverse("rollout_admin:dashboard"),
        "district dashboard": reverse("rollout_admin:district_dashboard", args=[hp.pk]),
        "roster report": reverse("rollout_admin:roster"),
        "wave list": reverse("rollout_waves:index"),
        "certificate list": reverse("certificates_certificate:index"),
        "lesson editor": reverse("wagtailadmin_pages:edit", args=[world["lesson"].pk]),
        "question statistics": reverse("quizzes_admin:quiz_statistics", args=[world["quiz"].pk]),
    }
    texts = {where: assert_inert(client.get(url), where) for where, url in pages.items()}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts["staff list"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in texts["roster report"]
    assert "&lt;script&gt;" in texts["wave list"]


def test_certificate_pdf_has_probe_as_text_and_no_javascript(client, world):
    client.force_login(world["learner"])
    response = client.get(reverse("certificates:pdf", args=[world["certificate"].pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert SCRIPT in re.sub(r"\s+", "", text) or SCRIPT in text
    assert b"/JavaScript" not in data
    assert not re.search(rb"/JS\b", data)
    assert b"/OpenAction" not in data or b"/JavaScript" not in data
    assert b"/Launch" not in data


def _assert_neutralised(value, where):
    if value and value.lstrip("'") != value:
        return  # already prefixed
    assert not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)), (where, value)


def test_roster_csv_neutralises_formulas(client, world):
    client.force_login(world["admin"])
    response = client.get(reverse("rollout_admin:roster"), {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    names = {row[1] for row in rows[1:]}
    for value in FORMULAS:
        assert "'" + value in names, (value, names)
    for row in rows[1:]:
        for cell in row:
            _assert_neutralised(cell, "roster csv")
    assert SCRIPT in names  # CSV is data, not HTML: the name is kept verbatim


def test_roster_xlsx_neutralises_formulas(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rollout_admin:export_xlsx"))
    assert response.status_code == 302
    export = RosterExport.objects.latest("pk")
    assert export.status == RosterExport.Status.DONE, export.error
    with export.file.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    ws = wb.worksheets[0]
    seen = set()
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        for cell in row:
            value = cell.value
            if isinstance(value, str) and value.startswith((*FORMULA_PREFIXES, "\n")):
                # Typed as a string (never evaluated), shown as written: no apostrophe.
                assert cell.data_type == "s", (cell.coordinate, cell.value)
                seen.add(cell.value)
    for value in FORMULAS:
        # XML normalises a stored CR to LF when the workbook is read back.
        assert value in seen or value.replace("\r", "\n") in seen, (value, seen)


@pytest.mark.parametrize(
    "fmt",
    ["csv", "xlsx"],
)
@pytest.mark.parametrize("index", ["staffprofile:index", "certificates_certificate:index"])
def test_wagtail_list_export_neutralises_formulas(client, world, fmt, index):
    """The Wagtail ModelViewSet spreadsheet exports (list_export) of staff and certificates."""
    for profile_user in get_user_model().objects.filter(username__startswith="f"):
        issue(profile_user, world["course"])
    client.force_login(world["admin"])
    response = client.get(reverse(index) + f"?export={fmt}")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert len(rows) > len(FORMULAS)
        for row in rows[1:]:
            for cell in row:
                _assert_neutralised(cell, f"{index} csv export")
    else:
        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        assert ws.max_row > len(FORMULAS)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                # Wagtail forces formula-looking strings to type "s": inert in Excel.
                assert cell.data_type != "f", (cell.coordinate, cell.value)

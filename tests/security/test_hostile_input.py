"""Hostile input (issue #9, part 2): every importer and learner-facing form.

Property tests (hypothesis) check the contract of each entry point for arbitrary input:
either it works, or it raises the importer's own error type (or answers 4xx) and writes
NOTHING (row counts compared before/after). The bugs these found are fixed and pinned by the
deterministic regression tests below.
"""

import codecs
import copy
import csv
import io
import itertools
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import TestCase
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from wagtail.models import Page, Revision

from courses.loader import CurriculumInvalid, load_curriculum
from courses.models import CoursePage, Enrollment, LessonPage, LessonProgress
from lms.organisation.models import StaffProfile
from lms.rollout import importing as staff_importing
from lms.rollout.models import StaffImport
from quizzes import attempts as svc
from quizzes.formats import FormatError
from quizzes.importing import import_questions, parse_bytes
from quizzes.models import Attempt, Category, Choice, Question, QuestionBank, Response
from tests.courses.conftest import write_course
from tests.factories import make_user
from tests.quizzes.utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db


HYP = hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HYP_FEW = hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HYP_SLOW = hsettings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PROBES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "\u202eevil",
    "𠀀𪚥",
    '=HYPERLINK("http://x")',
    "'; DROP TABLE x; --",
]

# Text without the characters a database cannot store at all (NUL) and without unpaired
# surrogates (not encodable); those are covered by the deterministic regression tests below.
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)

_bank_counter = itertools.count()


def quiz_counts():
    return (
        QuestionBank.objects.count(),
        Question.objects.count(),
        Choice.objects.count(),
        Category.objects.count(),
    )


# --------------------------------------------------------------------------- GIFT / Aiken

GIFT_TOKENS = [
    "::",
    "::名称::",
    "{",
    "}",
    "{}",
    "{T}",
    "{F}",
    "{#",
    "1..2",
    "3:0.5",
    "=",
    "~",
    "#",
    "####",
    "->",
    "%50%",
    "%-100%",
    "%abc%",
    "$CATEGORY: ",
    "$CATEGORY: $course$/a/b",
    "[html]",
    "[plain]",
    "[markdown]",
    "[moodle]",
    "\\",
    "\\{",
    "\\=",
    "\n",
    "\n\n",
    "//",
    "题目",
    "答案",
    " ",
    "_____",
    "\t",
    "\r\n",
    *PROBES,
]
AIKEN_TOKENS = [
    "A. ",
    "B) ",
    "C. ",
    "ANSWER: ",
    "ANSWER: A",
    "ANSWER: Z",
    "answer:b",
    "\n",
    "\n\n",
    "题干",
    "选项",
    " ",
    "\t",
    *PROBES,
]


def token_text(tokens):
    return st.lists(st.one_of(st.sampled_from(tokens), safe_text), min_size=0, max_size=40).map(
        "".join
    )


def gift_like():
    """Plausible GIFT (valid questions with hostile fragments) mixed with token soup."""
    question = st.builds(
        lambda name, text, right, wrong, fmt: f"::{name}::{fmt}{text}{{={right} ~{wrong}}}",
        st.text(alphabet="abcxyz题目0123456789", min_size=1, max_size=20),
        st.one_of(st.sampled_from(PROBES), safe_text.filter(lambda s: s.strip())),
        st.sampled_from(["对", "20年", *PROBES]),
        st.sampled_from(["错", "10年"]),
        st.sampled_from(["", "[html]", "[plain]", "[markdown]"]),
    )
    structured = st.lists(question, min_size=1, max_size=5).map("\n\n".join)
    return st.one_of(structured, token_text(GIFT_TOKENS))


def _check_import(text, fmt, encoding="utf-8"):
    """The importer contract: questions imported, or FormatError and nothing written."""
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    bank_name = f"hostile-{fmt}-{next(_bank_counter)}"
    before = quiz_counts()
    try:
        questions = parse_bytes(data, fmt)
        result = import_questions(bank_name, questions)
    except FormatError as error:
        assert error.messages(), "FormatError without a message"
        assert quiz_counts() == before
        assert not QuestionBank.objects.filter(name=bank_name).exists()
        return
    assert result.total == len(questions)
    bank = QuestionBank.objects.get(name=bank_name)
    assert bank.questions.count() == len(questions)
    assert quiz_counts()[1] == before[1] + len(questions)


@HYP
@given(text=gift_like(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
@example(text="::Q1::<script>alert(1)</script>{=a ~b}", encoding="utf-8")
@example(text="::Q1::[html]<img src=x onerror=alert(1)>{=a ~b}", encoding="utf-8-sig")
@example(text="{", encoding="utf-8")
@example(text="::\u202e::x{=a ~b}\n\n::\u202e::y{=a ~b}", encoding="utf-8")
def test_gift_import_is_all_or_nothing(text, encoding):
    _check_import(text, "gift", encoding)


@HYP
@given(text=token_text(AIKEN_TOKENS), encoding=st.sampled_from(["utf-8", "gb18030"]))
@example(text="题干\nA. 一\nB. 二\nANSWER: B", encoding="utf-8")
@example(text="题干\nA. <script>alert(1)</script>\nB. 二\nANSWER: A", encoding="utf-8")
@example(text="A. 一\nANSWER: A", encoding="utf-8")
def test_aiken_import_is_all_or_nothing(text, encoding):
    _check_import(text, "aiken", encoding)


@HYP
@given(data=st.binary(max_size=300), fmt=st.sampled_from(["gift", "aiken"]))
@example(data=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", fmt="gift")
@example(data=b"MZ\x90\x00\x03\x00\x00\x00", fmt="aiken")
@example(data=codecs.BOM_UTF16_LE + "题目{=a ~b}".encode("utf-16-le"), fmt="gift")
def test_question_import_arbitrary_bytes(data, fmt):
    before = quiz_counts()
    try:
        questions = parse_bytes(data, fmt)
        import_questions(f"bytes-{next(_bank_counter)}", questions)
    except FormatError:
        assert quiz_counts() == before


def test_import_failure_midway_writes_nothing():
    """A FormatError raised by the importer after some questions were written rolls back."""
    make_bank("existing", "::A::a{=x ~y}")
    before = quiz_counts()
    questions = parse_bytes(b"::N1::n{=x ~y}\n\n::N2::n{=x ~y}", "gift")
    overlong = copy.copy(questions[0])
    overlong.name, overlong.category = "N3", "类" * 600  # too long: import_questions refuses it
    questions.append(overlong)
    with pytest.raises(FormatError):
        import_questions("existing", questions)
    assert quiz_counts() == before


@pytest.mark.parametrize(
    "text",
    [
        "$CATEGORY: " + "类" * 150 + "\n\n::Q::题目{=a ~b}",
        "$CATEGORY: " + "/".join(["类" * 90] * 6) + "\n\n::Q::题目{=a ~b}",
        "::M::配对{=a -> " + "长" * 300 + " =b -> c =d -> e}",
    ],
    ids=["long-category", "long-category-path", "long-match"],
)
def test_overlong_gift_fields_raise_format_error(text):
    before = quiz_counts()
    with pytest.raises(FormatError) as caught:
        import_questions("overlong", parse_bytes(text.encode(), "gift"))
    assert "太长" in str(caught.value)
    assert quiz_counts() == before


def test_overlong_gift_names_are_cut_as_moodle_does():
    """Names are cut to the column's 255 characters; two names alike in those are then
    duplicates, which Moodle accepts: the second is numbered within the 255 characters."""
    long_name = "名" * 300
    questions = parse_bytes(f"::{long_name}::题目{{=a ~b}}".encode(), "gift")
    result = import_questions("overlong", questions)
    assert [q.name for q in result.created] == ["名" * 255]
    questions = parse_bytes(
        f"::{long_name}甲::一{{=a ~b}}\n\n::{long_name}乙::二{{=a ~b}}".encode(), "gift"
    )
    result = import_questions("overlong2", questions)
    assert [q.name for q in result.created] == ["名" * 255, "名" * 251 + " (2)"]


# --------------------------------------------------------------------------- staff CSV / XLSX

HEADERS = ["姓名", "工号", "所属区", "服务中心", "手机", "邮箱", "职务", "窗口"]
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://x","y")']
DISTRICTS = ["黄浦区", "HP", "浦东新区", "PD", "不存在区", "", "hp "]


def staff_counts():
    return (
        get_user_model().objects.count(),
        StaffProfile.objects.count(),
        StaffImport.objects.count(),
        StaffProfile.objects.filter(is_active=True).count(),
    )


cell = st.one_of(
    safe_text,
    st.sampled_from(FORMULAS + PROBES),
    st.text(alphabet="ABCxyz0123456789-_", min_size=1, max_size=12),
)
row = st.tuples(
    st.one_of(st.sampled_from(["张三", "李四", *PROBES, *FORMULAS]), cell),
    st.text(alphabet="ABCE0123456789-_", min_size=1, max_size=10) | cell,
    st.sampled_from(DISTRICTS),
    cell,
    st.sampled_from(["13800138000", "021-12345678", "x", ""]),
    st.sampled_from(["a@example.com", "bad@", "", "=1@x.com"]),
    cell,
    cell,
)


@st.composite
def staff_csv(draw):
    header = list(HEADERS)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 9)) == 0:
        header = draw(st.lists(safe_text, max_size=8))
    rows = draw(st.lists(row, max_size=6))
    out = io.StringIO()
    # A bare "\r" (old Mac) line end is pinned by test_staff_csv_reader_errors.
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for r in rows:
        mapping = dict(zip(HEADERS, r, strict=True))
        # Bare CR inside a cell hits the csv.Error bug pinned by test_staff_csv_reader_errors.
        writer.writerow([mapping.get(h, "").replace("\r", "") for h in header])
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _check_staff(data, filename, user=None):
    before = staff_counts()
    try:
        result = staff_importing.preview(data, filename, user=user)
    except staff_importing.ImportFileError as exc:
        assert str(exc)
        assert staff_counts() == before
        return
    assert staff_counts() == before, "preview must not write"
    try:
        record = staff_importing.apply(result)
    except staff_importing.ImportFileError:
        assert not result.ok
        assert staff_counts() == before
        return
    assert result.ok
    after = staff_counts()
    assert after[0] == before[0] + record.created
    assert after[1] == before[1] + record.created
    assert after[2] == before[2] + 1
    # Formula cells are stored as the literal text they were (escaping is the exporter's job).
    for r in result.rows:
        profile = StaffProfile.objects.get(employee_no=r.values["employee_no"])
        assert profile.full_name == r.values["full_name"]


@HYP
@given(data=staff_csv())
@example(data='姓名,工号,所属区\n=HYPERLINK("x"),E1,黄浦区\n'.encode())
@example(data=codecs.BOM_UTF8 + "姓名,工号,所属区\n张三,E2,HP\n".encode())
@example(data="姓名,工号,所属区\n张三,E3,HP\n张三,E3,HP\n".encode("gb18030"))
def test_staff_csv_preview_apply_all_or_nothing(data):
    _check_staff(data, "staff.csv")


@HYP
@given(data=st.binary(max_size=400), name=st.sampled_from(["a.csv", "a.xlsx", "a.CSV", "a.exe"]))
@example(data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, name="a.xlsx")
@example(data=b"PK\x03\x04" + b"\x00" * 40, name="a.xlsx")
@example(data=b"MZ\x90\x00", name="a.exe")
@example(data=b"", name="a.csv")
def test_staff_import_arbitrary_bytes(data, name):
    if b"\x00" in data and name.lower().endswith(".csv"):
        data = data.replace(b"\x00", b"")  # NUL: see test_staff_csv_nul_byte
    _check_staff(data, name)


def _xlsx(rows):
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@HYP_FEW
@given(rows=st.lists(row, min_size=1, max_size=4))
def test_staff_xlsx_all_or_nothing(rows):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in r] for r in rows]
    data = _xlsx([HEADERS, *cleaned])
    _check_staff(data, "staff.xlsx")


def test_staff_xlsx_numbers_and_formulas():
    data = _xlsx([HEADERS, ["=1+1", 12345, "黄浦区"], ["张三", 3.0, "HP", None, 13800138000]])
    _check_staff(data, "staff.xlsx")


def test_staff_apply_is_all_or_nothing_when_a_row_fails_in_the_database(monkeypatch):
    """apply() writes in batches; a failure in the last batch (an account created by someone
    else since the preview) rolls back the earlier ones."""
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(staff_importing, "BATCH", 1)
    data = "姓名,工号,所属区\n张三,E901,HP\n李四,E902,HP\n".encode()
    result = staff_importing.preview(data, "s.csv")
    assert result.ok
    get_user_model().objects.create(username="E902")
    before = staff_counts()
    with pytest.raises(IntegrityError):
        staff_importing.apply(result)
    assert staff_counts() == before


@pytest.mark.parametrize(
    "data",
    [
        ("姓名,工号,所属区\n" + "长" * 200_000 + ",E1,HP\n").encode(),
        "姓名,工号,所属区\r张三,E1,HP\r".encode(),
    ],
    ids=["huge-field", "bare-cr-line-ends"],
)
def test_staff_csv_reader_errors(data):
    before = staff_counts()
    try:
        result = staff_importing.preview(data, "s.csv")
    except staff_importing.ImportFileError:
        result = None
    if result is not None and result.ok:
        staff_importing.apply(result)
        assert staff_counts()[1] == before[1] + 1
    else:
        assert staff_counts() == before


def test_staff_csv_large_but_under_csv_limit():
    """A cell beyond the upload policy's cell length stops the file, naming row and column."""
    data = ("姓名,工号,所属区\n" + "长" * 100_000 + ",E1,HP\n").encode()
    with pytest.raises(staff_importing.ImportFileError, match="第 2 行第 1 列：内容过长"):
        staff_importing.preview(data, "s.csv")


def test_staff_csv_nul_byte():
    data = "姓名,工号,所属区\n张\x00三,E1,HP\n".encode()
    before = staff_counts()
    try:
        result = staff_importing.preview(data, "s.csv")
        if result.ok:
            staff_importing.apply(result)
    except staff_importing.ImportFileError:
        pass
    assert staff_counts() == before


def test_staff_csv_overlong_email():
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"
    assert 254 < len(email) <= 320
    data = f"姓名,工号,所属区,邮箱\n张三,E77,HP,{email}\n".encode()
    before = staff_counts()
    try:
        result = staff_importing.preview(data, "s.csv")
        if result.ok:
            staff_importing.apply(result)
    except staff_importing.ImportFileError:
        pass
    assert staff_counts() == before


# --------------------------------------------------------------------------- curriculum files

FM_KEYS = [
    "code",
    "title",
    "slug",
    "summary",
    "objectives",
    "estimated_minutes",
    "required",
    "prerequisites",
    "certificate_validity_days",
    "certificate_language",
    "order",
    "hours",
    "quiz",
    "sources",
    "unknown_key",
]
yaml_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    safe_text,
    st.sampled_from(PROBES),
)
yaml_value = st.recursive(
    yaml_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_text, inner, max_size=3),
    max_leaves=6,
)
BODY_TOKENS = [
    "## 标题\n",
    "- 项目\n",
    "1. 第一步\n",
    "::: keypoints 要点\n",
    "::: faq\n",
    "::: steps\n",
    "::: warning 注意\n",
    ":::\n",
    "Q: 问？\n",
    "A: 答。\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "<script>alert(1)</script>\n",
    "<img src=x onerror=alert(1)>\n",
    "[link](javascript:alert(1))\n",
    "**粗体**",
    "\n",
    "---\n",
]


def valid_course_meta(code):
    return {
        "code": code,
        "title": "课程",
        "slug": "hostile-course",
        "summary": "摘要",
        "required": True,
    }


@st.composite
def curriculum_files(draw):
    course = valid_course_meta("HOSTILE-1")
    lesson = {"title": "第一讲", "slug": "lesson-one", "order": 1}
    for meta in (course, lesson):
        for key in draw(st.lists(st.sampled_from(FM_KEYS), max_size=3, unique=True)):
            meta[key] = draw(yaml_value)
    course_text = "---\n" + yaml.safe_dump(course, allow_unicode=True) + "---\n简介\n"
    lesson_fm = yaml.safe_dump(lesson, allow_unicode=True)
    if draw(st.integers(0, 6)) == 0:
        lesson_fm = draw(token_text([":", "- ", "{", "[", "'", '"', "\n", "  ", "title", "&a"]))
    body = draw(st.lists(st.one_of(st.sampled_from(BODY_TOKENS), safe_text), max_size=15))
    return course_text, "---\n" + lesson_fm + "---\n" + "".join(body)


def page_counts():
    return (
        Page.objects.count(),
        CoursePage.objects.count(),
        LessonPage.objects.count(),
        Revision.objects.count(),
    )


@HYP_SLOW
@given(files=curriculum_files())
def test_curriculum_loader_loads_or_raises_cleanly(files):
    course_text, lesson_text = files
    with tempfile.TemporaryDirectory() as tmp:
        course_dir = Path(tmp) / "courses" / "hostile"
        (course_dir / "lessons").mkdir(parents=True)
        (course_dir / "course.md").write_text(course_text, encoding="utf-8")
        (course_dir / "lessons" / "01.md").write_text(lesson_text, encoding="utf-8")
        before = page_counts()
        try:
            load_curriculum(tmp)
        except CurriculumInvalid as exc:
            assert exc.errors if hasattr(exc, "errors") else str(exc)
            assert page_counts() == before
            return
    course = CoursePage.objects.get(code="HOSTILE-1")
    assert course.get_children().count() >= 1


def test_curriculum_half_valid_tree_writes_nothing(tmp_path):
    """One good course and one broken lesson in another course: nothing is written."""
    write_course(tmp_path, "GOOD-1", "good-course", lessons=2)
    bad = write_course(tmp_path, "BAD-1", "bad-course", lessons=1)
    (bad / "lessons" / "02-broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    before = page_counts()
    with pytest.raises(CurriculumInvalid):
        load_curriculum(tmp_path)
    assert page_counts() == before


def test_curriculum_binary_and_bad_encoding(tmp_path):
    course_dir = write_course(tmp_path, "ENC-1", "enc-course", lessons=1)
    (course_dir / "lessons" / "02-bin.md").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    before = page_counts()
    with pytest.raises(CurriculumInvalid):
        load_curriculum(tmp_path)
    assert page_counts() == before


# --------------------------------------------------------------------------- learner forms


@pytest.fixture
def learner_client(client):
    user = make_user("window_staff", username="hostile-learner")
    client.force_login(user)
    client.user = user
    return client


def assert_clean(response):
    assert response.status_code < 500, response.status_code
    body = response.content.decode("utf-8", "replace")
    assert "Traceback" not in body


@HYP
@given(
    username=st.text(max_size=150),
    password=st.text(max_size=300),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
@example(username="admin' OR '1'='1", password="x", extra={})
@example(username="\x00", password="\x00", extra={})
@example(username="a" * 150, password="b", extra={"next": "//evil.example/"})
def test_login_form_never_500(client, username, password, extra):
    cache.clear()
    data = {**extra, "username": username, "password": password}
    response = client.post(reverse("login"), data)
    assert_clean(response)
    assert response.status_code in (200, 302, 403, 429)
    if response.status_code == 302:
        assert not response["Location"].startswith("//")


def test_login_overlong_username(client):
    response = client.post(reverse("login"), {"username": "a" * 5000, "password": "b"})
    assert response.status_code == 200


json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(safe_text, inner, max_size=4),
    max_leaves=10,
)


@pytest.fixture
def open_attempt(learner_client):
    quiz = make_quiz(max_attempts=None, time_limit_minutes=None)
    attempt = svc.start_attempt(quiz, learner_client.user)
    return attempt


def response_snapshot(attempt):
    return sorted(Response.objects.filter(attempt=attempt).values_list("pk", "position"))


@HYP
@given(
    payload=st.one_of(
        st.fixed_dictionaries(
            {"position": st.one_of(st.integers(-5, 12), json_value), "answer": json_value}
        ),
        json_value,
    )
)
@example(payload={"position": 0, "answer": {"choice": "1; DROP TABLE x"}})
@example(payload={"position": 2**63, "answer": {}})
@example(payload={"position": "1", "answer": {"choices": [1, "x", None]}})
@example(payload={"position": 1, "answer": {"pairs": {"1": "<script>alert(1)</script>"}}})
@example(payload={"position": 1, "answer": {"pairs": {"abc": 1}}})
@example(payload=[1, 2])
def test_autosave_json_never_500(learner_client, open_attempt, payload):
    before = response_snapshot(open_attempt)
    response = learner_client.post(
        reverse("quizzes:autosave", args=[open_attempt.pk]),
        json.dumps(payload),
        content_type="application/json",
    )
    assert_clean(response)
    assert response.status_code in (200, 400, 404, 409)
    body = response.json()
    assert set(body) <= {"saved", "error", "position", "saved_at", "seconds_left"}
    assert "fraction" not in response.content.decode()
    assert response_snapshot(open_attempt) == before
    open_attempt.refresh_from_db()
    assert open_attempt.status == Attempt.IN_PROGRESS


@HYP
@given(body=st.binary(max_size=200))
@example(body=b"")
@example(body=b"\xff\xfe")
@example(body=b"{" * 50)
def test_autosave_raw_bytes_never_500(learner_client, open_attempt, body):
    response = learner_client.post(
        reverse("quizzes:autosave", args=[open_attempt.pk]), body, content_type="application/json"
    )
    assert_clean(response)


@pytest.fixture
def choice_attempt(learner_client):
    """Position 1: single choice; position 2: true/false (no shuffling)."""
    bank = make_bank("hostile-choice", "::MC::选哪个？{=甲 ~乙}\n\n::TF::对吗？{T}")
    quiz = make_quiz(bank, max_attempts=None, shuffle_questions=False, shuffle_choices=False)
    return svc.start_attempt(quiz, learner_client.user)


@pytest.mark.parametrize(
    "body",
    [
        b'{"position": Infinity, "answer": {}}',
        b'{"position": NaN, "answer": {}}',
        b'{"position": 1, "answer": {"choice": 1e999}}',
        b'{"position": 1, "answer": {"choice": -Infinity}}',
        b'{"position": 2, "answer": {"value": 1e999}}',
        b'{"position": 2, "answer": {"value": [1]}}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=[
        "inf-position",
        "nan-position",
        "inf-choice",
        "minus-inf-choice",
        "inf-truefalse",
        "list-truefalse",
        "deep-nesting",
    ],
)
def test_autosave_non_finite_and_deep_json(learner_client, choice_attempt, body):
    response = learner_client.post(
        reverse("quizzes:autosave", args=[choice_attempt.pk]),
        body,
        content_type="application/json",
    )
    assert response.status_code in (400, 409)
    answers = Response.objects.filter(attempt=choice_attempt).values_list("answer", flat=True)
    assert list(answers) == [None, None]


def test_autosave_nul_in_text_answer(learner_client):
    quiz = make_quiz(make_bank("nul-bank", "::E1::谈谈。{}"), max_attempts=None)
    attempt = svc.start_attempt(quiz, learner_client.user)
    response = learner_client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        json.dumps({"position": 1, "answer": {"text": "a\x00b"}}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400, 409)
    if response.status_code == 200:
        assert "\x00" not in str(Response.objects.get(attempt=attempt, position=1).answer)


post_value = st.one_of(safe_text, st.sampled_from(["1", "-1", "99999999999999999999", "true"]))


@pytest.fixture
def submit_quiz(learner_client):
    return make_quiz(make_bank("submit-bank"), max_attempts=None, cooldown_minutes=0)


@HYP_FEW
@given(
    data=st.dictionaries(
        st.one_of(
            st.sampled_from([f"q{i}" for i in range(8)] + [f"q6-{i}" for i in range(4)]), safe_text
        ),
        st.one_of(post_value, st.lists(post_value, max_size=3)),
        max_size=10,
    )
)
@example(
    data={"q0": "99999999999999999999999", "q2": ["1", "x"], "q5": "<script>alert(1)</script>"}
)
def test_submit_arbitrary_post_never_500(learner_client, submit_quiz, data):
    attempt = svc.start_attempt(submit_quiz, learner_client.user)
    count = Response.objects.filter(attempt=attempt).count()
    response = learner_client.post(reverse("quizzes:submit", args=[attempt.pk]), data)
    assert_clean(response)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status in (Attempt.GRADED, Attempt.PENDING)
    responses = list(Response.objects.filter(attempt=attempt).select_related("question"))
    assert len(responses) == count
    scored = [r for r in responses if r.question.qtype not in ("essay", "description")]
    assert all(r.fraction is not None for r in scored), "graded attempt with ungraded responses"
    result = learner_client.get(reverse("quizzes:result", args=[attempt.pk]))
    assert_clean(result)
    assert b"<script>alert(1)</script>" not in result.content


@pytest.fixture
def course_with_lesson(tmp_path):
    write_course(tmp_path, "HF-1", "hf-course", lessons=2)
    load_curriculum(tmp_path)
    course = CoursePage.objects.get(code="HF-1")
    return course, LessonPage.objects.child_of(course).live().order_by("path").first()


@HYP
@given(
    target=st.one_of(st.sampled_from(["lesson", "course"]), st.integers(0, 2**63 - 1)),
    data=st.dictionaries(safe_text, safe_text, max_size=4),
    method=st.sampled_from(["post", "get"]),
)
@example(target=2**63 - 1, data={}, method="post")
@example(target=2**31, data={}, method="post")
def test_mark_complete_and_enrol_never_500(
    learner_client, course_with_lesson, target, data, method
):
    course, lesson = course_with_lesson
    user = learner_client.user
    before = (LessonProgress.objects.count(), Enrollment.objects.count())
    for name in ("courses:complete_lesson", "courses:enrol"):
        if target == "lesson":
            pk = lesson.pk
        elif target == "course":
            pk = course.pk
        else:
            pk = target
        response = getattr(learner_client, method)(reverse(name, args=[pk]), data)
        assert_clean(response)
        assert response.status_code in (302, 404, 405)
    # Progress only for a real lesson; enrolment only in a real course.
    for progress in LessonProgress.objects.filter(user=user):
        enrollment = Enrollment.objects.get(user=user, course=progress.course)
        assert enrollment.last_lesson_id is not None
    if method == "get":
        assert (LessonProgress.objects.count(), Enrollment.objects.count()) == before


@pytest.mark.parametrize(
    "url",
    [
        "/learn/lessons/{n}/complete/",
        "/learn/courses/{n}/enrol/",
    ],
)
def test_out_of_range_page_ids_are_404(learner_client, url):
    response = learner_client.post(url.format(n=2**64))
    assert response.status_code == 404


@pytest.mark.parametrize("url", ["/quiz/attempt/{n}/", "/quiz/{n}/", "/certificates/{n}/pdf/"])
def test_out_of_range_plain_ids_are_404(learner_client, url):
    assert learner_client.get(url.format(n=2**64)).status_code == 404


verify_code = st.one_of(
    st.text(min_size=1, max_size=200).filter(lambda s: "/" not in s),
    st.sampled_from(
        [
            "..",
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            "A" * 22,
            "A" * 64,
            "A" * 5000,
            "<script>alert(1)</script>",
            "𠀀" * 22,
            "\u202e" * 22,
            "a.json",
        ]
    ),
)


@HYP
@given(code=verify_code, fmt=st.sampled_from(["", "?format=json", ".json"]))
@example(code="../../../../etc/passwd", fmt="")
@example(code="x\x00y" * 7 + "z", fmt="")
def test_verify_page_never_500(client, code, fmt):
    from urllib.parse import quote

    cache.clear()
    url = "/verify/" + quote(code, safe="")
    url = url + ".json" if fmt == ".json" else url + "/" + fmt
    response = client.get(url)
    assert_clean(response)
    assert response.status_code in (200, 301, 404, 429)
    assert b"<script>alert(1)</script>" not in response.content
    assert b"root:" not in response.content


# --------------------------------------------------------------------------- admin uploads


@pytest.fixture
def city_admin_client(client):
    client.force_login(make_user("city_admin", district=None, username="hostile-city"))
    return client


@pytest.fixture
def trainer_client(client):
    client.force_login(make_user("trainer", district=None, username="hostile-trainer"))
    return client


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\0" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 64

STAFF_UPLOADS = [
    ("photo.xlsx", PNG, ["XLSX", "Excel", "文件"]),
    ("setup.exe", EXE, [".xlsx", ".csv", "文件类型", "不支持"]),
    ("photo.png", PNG, [".xlsx", ".csv", "文件类型", "不支持"]),
    ("zip.xlsx", b"PK\x03\x04" + b"\0" * 30, ["XLSX", "Excel", "文件"]),
]


def _decoded(response):
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize(("name", "data", "expected"), STAFF_UPLOADS)
def test_staff_import_view_rejects_wrong_type(city_admin_client, name, data, expected):
    before = staff_counts()
    response = city_admin_client.post(
        reverse("rollout_admin:import"), {"file": SimpleUploadedFile(name, data)}
    )
    assert_clean(response)
    assert response.status_code == 200
    text = _decoded(response)
    assert any(word in text for word in expected), text[:2000]
    assert staff_counts() == before


def test_staff_import_view_rejects_oversized(city_admin_client, settings):
    settings.MAX_IMPORT_UPLOAD_SIZE = 10_000
    data = ("姓名,工号,所属区\n" + "张三,E1,HP\n" * 2000).encode()
    before = staff_counts()
    response = city_admin_client.post(
        reverse("rollout_admin:import"), {"file": SimpleUploadedFile("big.csv", data)}
    )
    assert_clean(response)
    assert response.status_code == 200
    text = _decoded(response)
    assert "过大" in text or "太大" in text or "超过" in text, text[:2000]
    assert staff_counts() == before


def test_staff_import_view_with_2fa_required(client, settings):
    from tests.security.helpers import login_with_otp

    settings.LMS_REQUIRE_2FA = True
    user = make_user("city_admin", district=None, username="hostile-city-otp")
    client.force_login(user)
    response = client.post(
        reverse("rollout_admin:import"), {"file": SimpleUploadedFile("a.exe", EXE)}
    )
    assert response.status_code in (302, 403)  # no OTP: sent to 2FA, never processed
    login_with_otp(client, user)
    response = client.post(
        reverse("rollout_admin:import"), {"file": SimpleUploadedFile("a.exe", EXE)}
    )
    assert response.status_code == 200
    assert "文件" in _decoded(response)


QUESTION_UPLOADS = [
    ("photo.gift", PNG, ["编码", "文件"]),
    ("setup.exe", EXE, ["文件类型"]),
    ("bank.xlsx", b"PK\x03\x04" + b"\0" * 30, ["文件类型"]),
    ("empty.gift", b"", ["文件", "空"]),
]


@pytest.mark.parametrize(("name", "data", "expected"), QUESTION_UPLOADS)
def test_question_import_view_rejects_wrong_type(trainer_client, name, data, expected):
    before = quiz_counts()
    response = trainer_client.post(
        reverse("quizzes_admin:import"),
        {"new_bank": "上传测试", "format": "gift", "file": SimpleUploadedFile(name, data)},
    )
    assert_clean(response)
    assert response.status_code == 200
    text = _decoded(response)
    assert any(word in text for word in expected), text[:2000]
    assert quiz_counts() == before


def test_question_import_view_rejects_oversized(trainer_client, settings):
    settings.MAX_IMPORT_UPLOAD_SIZE = 10_000
    data = "\n\n".join(f"::Q{i}::题目{{=对 ~错}}" for i in range(2000)).encode()
    before = quiz_counts()
    response = trainer_client.post(
        reverse("quizzes_admin:import"),
        {"new_bank": "上传测试", "format": "gift", "file": SimpleUploadedFile("big.gift", data)},
    )
    assert_clean(response)
    assert response.status_code == 200
    assert "太大" in _decoded(response)
    assert quiz_counts() == before


@HYP_SLOW
@given(text=gift_like())
def test_question_import_view_preview_and_confirm(trainer_client, text):
    """Through the admin: upload (preview) then confirm; never a 500, all-or-nothing."""
    data = text.encode("utf-8")
    bank = f"view-{next(_bank_counter)}"
    before = quiz_counts()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = trainer_client.post(
            reverse("quizzes_admin:import"),
            {"new_bank": bank, "format": "gift", "file": SimpleUploadedFile("b.gift", data)},
        )
    assert_clean(response)
    if response.status_code == 302:  # to the job's page, with the preview
        response = trainer_client.get(response.url)
        assert_clean(response)
    assert quiz_counts() == before, "preview must not write"
    assert b"<script>alert(1)</script>" not in response.content
    job = response.context.get("job") if response.context else None
    if job is not None and response.context["can_confirm"]:
        url = reverse("quizzes_admin:import_job", args=[job.pk])
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = trainer_client.post(url, {"confirm": "1"})
        assert_clean(response)
        assert response.status_code == 302
        job.refresh_from_db()
        assert job.state == "done", job.error
        assert_clean(trainer_client.get(response.url))

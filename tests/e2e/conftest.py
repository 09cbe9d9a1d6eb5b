"""Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's
``live_server``.

* No browser download: Chromium is ``/usr/bin/chromium`` (Debian package, see
  scripts/install-system-deps.sh). Never run ``playwright install``.
* The accessibility checks inject axe-core from ``node_modules`` (``npm ci`` at the repo root;
  package.json pins it). A missing ``node_modules/axe-core`` fails those tests with a message.
* Every test here uses ``live_server``, so it runs on a transactional database. The tests are
  marked ``django_db(transaction=True, serialized_rollback=True)`` (see ``E2E_DB``): the flush
  after each test would otherwise delete the districts, role groups and Wagtail root that the
  migrations create, for the next test.
* Playwright's sync API runs an asyncio event loop in this thread, which makes Django refuse ORM
  calls from the test code ("SynchronousOnlyOperation"). ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set
  while the browser of this package is open, and restored afterwards, so the rest of the suite
  keeps Django's guard.
* A failing test saves a screenshot of each page it opened to
  ``var/e2e-screenshots/<test>.png`` (``pytest_runtest_makereport`` below).
"""

import datetime
import os
import re
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

BASE_DIR = Path(settings.BASE_DIR)
SCREENSHOT_DIR = BASE_DIR / "var" / "e2e-screenshots"
AXE_PATH = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000
PASSWORD = "Pass-word-123"  # tests.factories.UserFactory's password

# Every browser test: live server, hence a transactional database whose migration data
# (districts, role groups, Wagtail root and site) is restored before each test.
E2E_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def _allow_orm_under_playwright_loop():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def e2e_browser(_allow_orm_under_playwright_loop, django_db_setup):
    """One Chromium for all the journeys (each test gets fresh contexts)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (Debian chromium).")
    # Django keeps database connections in an asgiref Local, which switches to context-local
    # storage once an event loop runs in the thread (Playwright's sync API runs one). The
    # connection the tests see from here on is then a new object, without the migration data
    # that setup_databases serialized for ``serialized_rollback``: carry it over.
    serialized = getattr(connections["default"], "_test_serialized_contents", None)
    playwright = sync_playwright().start()
    if serialized is not None:
        connections["default"]._test_serialized_contents = serialized
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def open_page(e2e_browser, live_server, request):
    """``open_page(viewport=DESKTOP, **context_options)`` → a Page in a fresh browser context
    (own cookies), with ``base_url`` set to the live server. Pages are screenshotted when the
    test fails and closed afterwards."""
    contexts = []
    request.node._e2e_pages = []

    def _open(viewport=None, **options):
        context = e2e_browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        request.node._e2e_pages.append(page)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(open_page):
    """A desktop page (1280×900). (Not named ``page``: pytest-playwright would parametrize the
    tests over its ``--browser`` option, which these fixtures do not follow.)"""
    return open_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    pages = getattr(item, "_e2e_pages", None)
    if not pages:
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name).strip("_")
    for index, page in enumerate(pages):
        suffix = "" if index == 0 else f"-{index + 1}"
        path = SCREENSHOT_DIR / f"{name}{suffix}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # a closed page or crashed browser must not hide the failure
            report.sections.append(("e2e screenshot", f"{path}: not saved ({exc})"))
        else:
            report.sections.append(("e2e screenshot", f"saved {path} (url {page.url})"))


# --------------------------------------------------------------------------- page helpers


def login(page, username, password=PASSWORD, next_url="/"):
    """Log in through the learner login form."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, _page_errors(page)
    return page


def admin_login(page, username, password=PASSWORD, next_url="/admin/"):
    """Log in through Wagtail's admin login form."""
    page.goto(f"/admin/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/admin/login/" not in page.url, _page_errors(page)
    return page


def _page_errors(page):
    try:
        errors = page.locator(
            ".error, .form-errors, .help-critical, [role=alert]"
        ).all_inner_texts()
    except Exception:
        errors = []
    return f"still at {page.url}; errors: {errors}"


def switch_language(page, code):
    """Use the language menu in the site header (keeps the current page)."""
    page.locator(".lang-menu summary").click()
    with page.expect_navigation():
        page.locator(f"form.lang-switch button[name=language][value={code}]").click()
    expected = "zh-Hans" if code == "zh-hans" else code
    assert page.locator("html").get_attribute("lang") == expected


def submit_paper(page):
    """交卷 on the attempt page, then 确认交卷 in the dialog that lists unanswered and flagged
    questions; waits for the result page."""
    page.locator("#quiz-submit").click()
    dialog = page.locator("#submit-dialog")
    dialog.get_by_role("button", name=re.compile("确认交卷|Submit now")).click()
    page.wait_for_url("**/result/")


def axe_source():
    if not AXE_PATH.exists():
        pytest.fail(
            f"{AXE_PATH.relative_to(BASE_DIR)} is missing: run `npm ci` at the repository root "
            "(package.json/package-lock.json pin axe-core)."
        )
    return AXE_PATH.read_text(encoding="utf-8")


_AXE_CACHE = {}


# E2E_AXE_IMPACTS=minor,moderate,serious,critical lists every finding (for the owners).
AXE_IMPACTS = tuple(os.environ.get("E2E_AXE_IMPACTS", "serious,critical").split(","))


def axe_violations(page, impacts=AXE_IMPACTS):
    """Run axe-core on the current page; the violations of the given impacts as
    ``[{"id", "impact", "help", "nodes": [{"target", "html", "summary"}]}]``.

    axe is evaluated through the DevTools protocol (``page.evaluate``), which the page's
    Content-Security-Policy (``script-src 'self'``) does not block, unlike an inline
    ``<script>`` tag."""
    if "source" not in _AXE_CACHE:
        _AXE_CACHE["source"] = axe_source()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_AXE_CACHE["source"])
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                "best-practice"]},
                resultTypes: ["violations"],
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                          summary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def format_violations(label, violations):
    lines = [f"{label}: {len(violations)} axe violation(s) ({'/'.join(AXE_IMPACTS)})"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"      {node['target']}  {node['html']}")
            if node["summary"]:
                lines.append("        " + node["summary"].replace("\n", "\n        "))
    return "\n".join(lines)


# --------------------------------------------------------------------------- test data

COURSE_CODE = "E2E-101"
COURSE_TITLE = "窗口受理入门"
QUIZ_TITLE = "窗口受理入门结业测验"
LESSON_TITLES = ["专利的保护期限", "商标的续展"]

COURSE_MD = """\
---
code: E2E-101
title: 窗口受理入门
slug: window-basics
summary: 端到端测试用的课程：两讲和一套三题的结业测验。
objectives:
  - 说出发明专利的保护期限
  - 说出注册商标的续展期限
estimated_minutes: 20
required: true
prerequisites: []
certificate_validity_days: 730
certificate_language: zh
order: 1
hours: 1
quiz:
  title: 窗口受理入门结业测验
  pass_mark: 100
  questions_per_attempt: 3
  max_attempts: 5
  cooldown_minutes: 0
  show_answers: end
---
本课程只有两讲，读完后参加结业测验。
"""

LESSON_MD = """\
---
title: {title}
slug: {slug}
order: {order}
estimated_minutes: 10
summary: {title}的要点。
sources:
  - 《中华人民共和国专利法》第42条
---
## {title}

发明专利权的期限为**二十年**，注册商标的有效期为**十年**。

::: keypoints 要点
- 发明专利 20年
- 商标续展每次 10年
:::
"""

GIFT = """\
$CATEGORY: 窗口受理入门/基础

::E2E-001 发明专利期限::发明专利权的保护期限是多少年？{
=20年
~15年
~50年
}

::E2E-002 著作权登记::著作权必须登记才产生。{F}

::E2E-003 商标续展::注册商标每次续展的有效期是多少年？{
=10年
~5年
~30年
}
"""

# The quiz's questions, identified by text on the paper: (text, right label, wrong label).
QUESTIONS = [
    ("发明专利权的保护期限", "20年", "50年"),
    ("著作权必须登记才产生", "错", "对"),
    ("注册商标每次续展", "10年", "30年"),
]


# A second course, optional and still without a quiz: the trainer's journey adds a lesson and
# attaches a quiz to it.
COURSE2_CODE = "E2E-201"
COURSE2_TITLE = "窗口接待实务"
COURSE2_MD = """\
---
code: E2E-201
title: 窗口接待实务
slug: front-desk
summary: 端到端测试用的第二门课程，还没有测验。
objectives:
  - 接待办事人
estimated_minutes: 10
required: false
prerequisites: []
certificate_validity_days: 730
certificate_language: zh
order: 2
hours: 1
---
培训师在管理后台为本课程添加课文和测验。
"""


def write_curriculum(root):
    """A curriculum in the content/ format (content/README.md): a required course with two
    lessons and a three-question GIFT bank, and an optional course with one lesson, no quiz."""
    course_dir = Path(root) / "courses" / "01-window-basics"
    (course_dir / "lessons").mkdir(parents=True)
    (course_dir / "course.md").write_text(COURSE_MD, encoding="utf-8")
    for order, (title, slug) in enumerate(
        zip(LESSON_TITLES, ["patent-term", "tm-renewal"], strict=True), 1
    ):
        (course_dir / "lessons" / f"{order:02d}-{slug}.md").write_text(
            LESSON_MD.format(title=title, slug=slug, order=order), encoding="utf-8"
        )
    (course_dir / "questions.gift").write_text(GIFT, encoding="utf-8")
    course2 = Path(root) / "courses" / "02-front-desk"
    (course2 / "lessons").mkdir(parents=True)
    (course2 / "course.md").write_text(COURSE2_MD, encoding="utf-8")
    (course2 / "lessons" / "01-greeting.md").write_text(
        LESSON_MD.format(title="接待办事人", slug="greeting", order=1), encoding="utf-8"
    )
    return Path(root)


@pytest.fixture
def curriculum(tmp_path):
    """The small curriculum loaded with ``manage.py load_curriculum``; returns the CoursePage."""
    from django.core.management import call_command

    from courses.models import CoursePage

    root = write_curriculum(tmp_path / "content")
    call_command("load_curriculum", str(root), verbosity=0)
    return CoursePage.objects.get(code=COURSE_CODE)


@pytest.fixture
def wave(curriculum):
    """An open rollout wave for Huangpu (HP) with the course, due in 30 days."""
    from lms.organisation.models import District
    from lms.rollout.models import RolloutWave

    today = timezone.localdate()
    wave = RolloutWave.objects.create(
        name="黄浦区第一批",
        opens_on=today - datetime.timedelta(days=1),
        due_on=today + datetime.timedelta(days=30),
        status=RolloutWave.Status.OPEN,
    )
    wave.districts.add(District.objects.get(code="HP"))
    wave.courses.add(curriculum)
    return wave


@pytest.fixture
def learner(wave):
    """A Huangpu window staff member, enrolled by the wave."""
    from lms.rollout.services import enrol_wave
    from tests.factories import make_user

    user = make_user("window_staff", district="HP", username="wangxm", full_name="王小明")
    enrol_wave(wave)
    return user


def dedent(text):
    return textwrap.dedent(text).strip()

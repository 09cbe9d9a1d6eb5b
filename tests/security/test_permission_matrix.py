"""Permission matrix (issue #9): every URL of our apps × every role → the expected outcome.

The URL list is not written by hand: ``collect_urls`` walks ``django.urls.get_resolver()`` and
keeps every pattern whose view lives in one of our apps, every view of a Wagtail ModelViewSet
over one of our models, Django's auth views, and Wagtail's page-serving catch-all (tested with
our course and lesson pages). Each collected URL must match a rule in ``RULES``; a new view
without a rule fails ``test_every_url_is_classified`` until someone decides who may open it.

Outcomes are compared as tokens: ``"200"``, ``"404"``… for plain status codes and, for a
redirect, ``"login"`` (to /accounts/login/), ``"admin_login"`` (to /admin/login/),
``"admin_home"`` (Wagtail's "permission denied" redirect to /admin/) or ``"302"`` (anywhere
else). A 5xx is always a failure. A view that answers GET with 405 is then POSTed with an empty
body (the test client does not enforce CSRF) and judged on that answer.

2FA: lms/settings/test.py sets ``LMS_REQUIRE_2FA = False`` (``client.force_login`` is enough);
the fixture below pins it to False so this matrix tests authorisation, not the OTP step, which
tests/security/test_two_factor.py covers.
"""

import csv
import io
import re
import time
from dataclasses import dataclass

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.matrix_world import ROLES, build_world

pytestmark = pytest.mark.django_db

OUR_APPS = ("lms", "courses", "quizzes", "certificates")
OUR_APP_LABELS = {"lms", "courses", "quizzes", "certificates", "rollout"}
AUTH_VIEWS_MODULE = "django.contrib.auth.views"


# --------------------------------------------------------------------------- URL collection


@dataclass(frozen=True)
class Entry:
    route: str  # the full route, e.g. "admin/attempt/inspect/<int:pk>/"
    name: str  # namespaced, e.g. "attempt:inspect"
    module: str
    model: type | None  # the viewset's model, when the view is a ModelViewSet view
    kwargs: tuple  # names of the URL kwargs
    defaults: tuple  # extra kwargs given in the pattern (e.g. fmt="json")

    @property
    def url_name(self):
        return self.name.rsplit(":", 1)[-1]

    @property
    def namespace(self):
        return self.name.rsplit(":", 1)[0] if ":" in self.name else ""


def _view_model(callback):
    initkwargs = getattr(callback, "view_initkwargs", None) or {}
    model = initkwargs.get("model") or getattr(getattr(callback, "view_class", None), "model", None)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def _walk(resolver, prefix="", namespaces=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespaces, pattern


def _kwarg_names(route):
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    names += re.findall(r"\(\?P<(\w+)>", route)
    return tuple(names)


def _included(module, model, name):
    if module.split(".")[0] in OUR_APPS:
        return True
    if model is not None and model._meta.app_label in OUR_APP_LABELS:
        return True
    if module == AUTH_VIEWS_MODULE and not name.startswith("wagtail"):
        return True  # Django's auth views (Wagtail's own login views are Wagtail's business)
    return name == "wagtail_serve"


def collect_urls():
    entries, seen = [], set()
    for route, namespaces, pattern in _walk(get_resolver()):
        callback = pattern.callback
        module = getattr(callback, "__module__", "")
        model = _view_model(callback)
        name = ":".join(namespaces + (pattern.name or "",))
        if not _included(module, model, name) or route in seen:
            continue  # a later pattern with an already-seen route is shadowed
        seen.add(route)
        entries.append(
            Entry(
                route=route,
                name=name,
                module=module,
                model=model,
                kwargs=_kwarg_names(route),
                defaults=tuple(sorted(pattern.default_args)),
            )
        )
    # Extra URLs of a viewset (e.g. certificates' revoke/reissue) serve the viewset's model.
    ns_models = {e.namespace: e.model for e in entries if e.model is not None and e.namespace}
    return [
        Entry(**{**e.__dict__, "model": ns_models.get(e.namespace)}) if e.model is None else e
        for e in entries
    ]


# --------------------------------------------------------------------------- expectations

OK = {"200"}
LOGIN = {"login"}
ADMIN_LOGIN = {"admin_login"}
NOT_ADMIN = {"admin_login", "403"}  # a user without wagtailadmin.access_admin
DENIED = {"admin_home", "403"}  # admin access, but not this permission
HIDDEN = {"404"}  # another learner's / district's object
DENIED_OR_HIDDEN = DENIED | HIDDEN
REDIRECT = {"302"}
LEARNERS = ("learner", "learner_pd")
ADMINS = ("admin_hp", "admin_pd", "city_admin")


def roles_(default=None, **by_role):
    """Expectations for every role: ``default`` unless named."""
    return {role: set(by_role.get(role, default or set())) for role in ROLES}


def admin_view(**by_role):
    """An /admin/ URL: anonymous → admin login, learners → refused; the rest as given."""
    base = {"anonymous": ADMIN_LOGIN, "learner": NOT_ADMIN, "learner_pd": NOT_ADMIN}
    return {**{r: DENIED for r in ROLES}, **base, **by_role}


def front(**by_role):
    """A login-required front-end URL: anonymous → login page; the rest as given (default 200)."""
    return {**{r: OK for r in ROLES}, "anonymous": LOGIN, **by_role}


def _owner_only(owner_ok):
    return front(**{r: HIDDEN for r in ROLES if r not in ("anonymous", "learner")}, learner=owner_ok)


def _scoped_object(**by_role):
    """An HP object in a district-scoped admin view: HP admin and city see it, PD admin 404."""
    return admin_view(**{"admin_pd": DENIED_OR_HIDDEN, **by_role})


def name_is(*names):
    return lambda e: e.name in names


def ns_is(*namespaces):
    return lambda e: e.namespace in namespaces


def ns_view(namespace, *url_names):
    return lambda e: e.namespace == namespace and e.url_name in url_names


# Ordered: the first matching rule decides. Rules name their URL names explicitly so a new
# view never silently inherits an expectation it was not designed for.
RULES = [
    # --- public ---------------------------------------------------------------------------
    (name_is("healthz", "verify:verify", "verify:verify_json"), roles_(OK)),
    (
        name_is(
            "password_reset", "password_reset_done", "password_reset_confirm",
            "password_reset_complete",
        ),
        roles_(OK),
    ),
    # Logged-in users are sent on from the login page (redirect_authenticated_user).
    (name_is("login"), roles_(REDIRECT, anonymous=OK)),
    (name_is("logout"), roles_({"200", "302"})),
    (name_is("password_change", "password_change_done"), front()),
    (name_is("otp_setup", "otp_verify"), front(**{r: {"200", "302"} for r in ROLES[1:]})),
    # Wagtail pages: the course and lesson pages (login required for lessons? see rule data).
    (name_is("wagtail_serve"), roles_(OK)),
    # --- learner front end ----------------------------------------------------------------
    (name_is("home", "quizzes:history", "quizzes:progress", "certificates:index"), front()),
    (name_is("quizzes:quiz"), front()),
    (name_is("quizzes:start", "courses:enrol", "courses:complete_lesson"), front(**{
        r: REDIRECT for r in ROLES[1:]})),
    # Learner A's attempt: only A. (autosave with an empty body: 400 for the owner)
    (name_is("quizzes:attempt", "quizzes:result"), _owner_only(OK)),
    (name_is("quizzes:autosave"), _owner_only({"400"})),
    (name_is("quizzes:submit"), _owner_only(REDIRECT)),
    (name_is("quizzes:check"), _owner_only(HIDDEN)),  # quiz does not show answers per question
    # Certificates: the holder, and administrators of the holder's district.
    (
        name_is("certificates:pdf", "certificates:badge"),
        front(learner_pd=HIDDEN, trainer=HIDDEN, admin_pd=HIDDEN),
    ),
    (name_is("certificates:lookup"), front(learner={"403"}, learner_pd={"403"}, trainer={"403"})),
    (
        name_is("rollout:export_download"),
        front(learner=HIDDEN, learner_pd=HIDDEN, trainer=HIDDEN, admin_pd=HIDDEN),
    ),
    # --- rollout admin views --------------------------------------------------------------
    (
        ns_view("rollout_admin", "dashboard"),
        admin_view(trainer={"403"}, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=OK),
    ),
    (
        ns_view("rollout_admin", "district_dashboard", "enrol_wave"),
        admin_view(trainer={"403"}, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (
        ns_view("rollout_admin", "roster", "roster_results", "export_csv", "exports", "import"),
        admin_view(trainer={"403"}, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("rollout_admin", "export_xlsx"),
        admin_view(trainer={"403"}, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=REDIRECT),
    ),
    (
        ns_view("rollout_admin", "attendance"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    # --- quiz tools -------------------------------------------------------------------------
    (
        ns_view("quizzes_admin", "import", "export", "marking", "quiz_statistics"),
        admin_view(trainer=OK, city_admin=OK),
    ),
    (
        ns_view("quizzes_admin", "statistics"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    # --- certificate admin ----------------------------------------------------------------
    (
        name_is("certificates_batches"),
        admin_view(trainer={"403"}, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    # Only the requester may download a batch.
    (name_is("certificates_batch_download"), admin_view(
        trainer=HIDDEN, admin_hp=OK, admin_pd=HIDDEN, city_admin=HIDDEN)),
    (
        ns_view("certificates_certificate", "revoke", "reissue"),
        _scoped_object(trainer={"403"}, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (
        ns_view("certificates_certificate", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("certificates_certificate", "inspect", "edit", "history", "history_results",
                "usage"),
        _scoped_object(trainer=DENIED_OR_HIDDEN, admin_hp=OK, city_admin=OK),
    ),
    # Certificates are never created, copied or deleted by hand.
    (ns_view("certificates_certificate", "add", "copy", "delete"), admin_view(
        admin_pd=DENIED_OR_HIDDEN)),
    # --- organisation ---------------------------------------------------------------------
    (
        ns_view("staffprofile", "index", "index_results", "add"),
        admin_view(admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("staffprofile", "edit", "inspect", "history", "history_results", "usage", "copy"),
        _scoped_object(admin_hp=OK, city_admin=OK),
    ),
    (ns_view("staffprofile", "delete"), _scoped_object(city_admin=OK)),
    (
        ns_view("district", "index", "index_results"),
        admin_view(admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (ns_view("district", "edit", "history", "history_results", "usage"), admin_view(
        city_admin=OK)),
    (ns_view("district", "add", "delete", "copy"), admin_view()),
    # --- learning records -------------------------------------------------------------------
    (
        lambda e: e.namespace in ("enrollments", "lesson_progress")
        and e.url_name in ("index", "index_results"),
        admin_view(admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        lambda e: e.namespace in ("enrollments", "lesson_progress")
        and e.url_name in ("inspect", "history", "history_results", "usage"),
        _scoped_object(admin_hp=OK, city_admin=OK),
    ),
    (
        lambda e: e.namespace in ("enrollments", "lesson_progress")
        and e.url_name in ("add", "edit", "delete", "copy"),
        _scoped_object(),
    ),
    # --- quizzes ------------------------------------------------------------------------------
    (
        ns_view("attempt", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("attempt", "inspect", "history", "history_results", "usage"),
        _scoped_object(trainer=OK, admin_hp=OK, city_admin=OK),
    ),
    (ns_view("attempt", "add", "edit", "delete", "copy"), _scoped_object()),
    (
        lambda e: e.namespace in ("quiz", "question", "category", "questionbank")
        and e.url_name != "delete",
        admin_view(trainer=OK, city_admin=OK),
    ),
    (
        lambda e: e.namespace in ("quiz", "question", "category", "questionbank"),
        admin_view(trainer=OK, city_admin=OK),
    ),
    # --- rollout viewsets -----------------------------------------------------------------
    (
        ns_view("rollout_waves", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("rollout_waves", "inspect", "history", "history_results", "usage"),
        _scoped_object(trainer=OK, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (ns_view("rollout_waves", "add", "edit", "delete", "copy"), _scoped_object(city_admin=OK)),
    (
        ns_view("rollout_sessions", "index", "index_results", "add"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("rollout_sessions", "edit", "history", "history_results", "usage", "copy",
                "inspect"),
        _scoped_object(trainer=DENIED_OR_HIDDEN | OK, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (ns_view("rollout_sessions", "delete"), _scoped_object(admin_pd=HIDDEN, city_admin=OK)),
]


def rule_for(entry):
    for predicate, expected in RULES:
        if predicate(entry):
            return expected
    return None


# Known permission holes: (url name, role) → the reason. The matrix test skips these cells;
# test_known_hole asserts the CORRECT outcome and is xfail(strict=True) until fixed.
KNOWN_HOLES = {}


# --------------------------------------------------------------------------- requests

# Which object each URL kwarg names. By viewset model first, then by URL name.
def _model_objects(w):
    return {
        "lms.StaffProfile": w.profile_hp,
        "lms.District": w.hp,
        "courses.Enrollment": w.enrollment,
        "courses.LessonProgress": w.progress,
        "quizzes.Quiz": w.quiz,
        "quizzes.Question": w.question,
        "quizzes.Category": w.category,
        "quizzes.QuestionBank": w.bank,
        "quizzes.Attempt": w.attempt_done,
        "certificates.Certificate": w.certificate,
        "rollout.RolloutWave": w.wave_hp,
        "rollout.TrainingSession": w.session_hp,
    }


def _by_name(w):
    return {
        "courses:enrol": {"course_id": w.course.pk},
        "courses:complete_lesson": {"lesson_id": w.lessons[0].pk},
        "quizzes:quiz": {"pk": w.quiz.pk},
        "quizzes:start": {"pk": w.quiz.pk},
        "quizzes:attempt": {"pk": w.attempt_open.pk},
        "quizzes:autosave": {"pk": w.attempt_open.pk},
        "quizzes:submit": {"pk": w.attempt_open.pk},
        "quizzes:check": {"pk": w.attempt_open.pk, "position": 1},
        "quizzes:result": {"pk": w.attempt_done.pk},
        "certificates:pdf": {"pk": w.certificate.pk},
        "certificates:badge": {"pk": w.certificate.pk},
        "verify:verify": {"code": w.certificate.verification_code},
        "verify:verify_json": {"code": w.certificate.verification_code},
        "rollout:export_download": {"pk": w.export_hp.pk},
        "rollout_admin:district_dashboard": {"district_id": w.hp.pk},
        "rollout_admin:enrol_wave": {"pk": w.wave_hp.pk},
        "rollout_admin:attendance": {"pk": w.session_hp.pk},
        "quizzes_admin:export": {"pk": w.bank.pk},
        "quizzes_admin:quiz_statistics": {"pk": w.quiz.pk},
        "certificates_batch_download": {"pk": w.batch_hp.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
    }


def urls_for(entry, w):
    """The concrete paths to request for ``entry`` (most have one)."""
    if entry.name == "wagtail_serve":
        return [w.course.url, w.lessons[0].url]
    kwargs = {}
    if entry.kwargs:
        kwargs = dict(_by_name(w).get(entry.name, {}))
        if not kwargs and entry.model is not None:
            obj = _model_objects(w).get(entry.model._meta.label)
            if obj is not None:
                kwargs = {name: obj.pk for name in entry.kwargs}
        missing = set(entry.kwargs) - set(kwargs)
        if missing:
            raise LookupError(f"{entry.name}: no object for kwargs {sorted(missing)}")
    return [reverse(entry.name, kwargs=kwargs)]


def outcome(response):
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin_login"
        if location.split("?")[0] == "/admin/":
            return "admin_home"
        return "302"
    return str(status)


# Run these last: they change state (log out, submit the attempt under test).
LAST = ("logout", "quizzes:submit")


def _order(entries):
    return sorted(entries, key=lambda e: e.name in LAST)


def request(client, path):
    response = client.get(path)
    method = "GET"
    if response.status_code == 405:
        response = client.post(path)
        method = "POST"
    return method, response


def run_role(role, w, entries):
    """Request every URL as ``role``; return (rows, failures)."""
    client = Client()
    user = w.user(role)
    if user is not None:
        client.force_login(user)
    rows, failures = [], []
    for entry in _order(entries):
        expected = rule_for(entry)[role]
        for path in urls_for(entry, w):
            method, response = request(client, path)
            got = outcome(response)
            rows.append((entry.name, method, path, got))
            hole = KNOWN_HOLES.get((entry.name, role))
            if response.status_code >= 500 or (got not in expected and hole is None):
                failures.append(
                    f"{role:11} {method:4} {path:60} {entry.name:42} "
                    f"got {got:11} expected {'|'.join(sorted(expected))}"
                )
    return rows, failures


@pytest.fixture
def world(tmp_path, settings):
    settings.LMS_REQUIRE_2FA = False
    settings.AXES_ENABLED = False
    return build_world(tmp_path)


# --------------------------------------------------------------------------- the matrix


def test_every_url_is_classified():
    entries = collect_urls()
    names = sorted(e.name for e in entries)
    print(f"\n{len(entries)} URLs collected:\n" + "\n".join(names))
    assert len(entries) >= 60, names
    unclassified = [f"{e.route}  ({e.name}, {e.module})" for e in entries if not rule_for(e)]
    assert not unclassified, "URLs without an expectation rule (classify them in RULES):\n" + (
        "\n".join(unclassified)
    )
    # Every kwarg of every URL resolves to an object of the world (checked without a DB).
    unmapped = [
        e.name for e in entries if e.kwargs and e.name not in _BY_NAME_KEYS and e.model is None
    ]
    assert not unmapped, f"URLs whose kwargs have no object in the world: {unmapped}"


_BY_NAME_KEYS = {
    "courses:enrol", "courses:complete_lesson", "quizzes:quiz", "quizzes:start",
    "quizzes:attempt", "quizzes:autosave", "quizzes:submit", "quizzes:check", "quizzes:result",
    "certificates:pdf", "certificates:badge", "verify:verify", "verify:verify_json",
    "rollout:export_download", "rollout_admin:district_dashboard", "rollout_admin:enrol_wave",
    "rollout_admin:attendance", "quizzes_admin:export", "quizzes_admin:quiz_statistics",
    "certificates_batch_download", "password_reset_confirm",
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, world):
    entries = collect_urls()
    started = time.perf_counter()
    rows, failures = run_role(role, world, entries)
    elapsed = time.perf_counter() - started
    print(f"\n{role}: {len(rows)} requests in {elapsed:.1f}s")
    for name, method, path, got in rows:
        print(f"  {method:4} {got:11} {path}  [{name}]")
    assert not failures, f"{len(failures)} unexpected outcomes:\n" + "\n".join(failures)

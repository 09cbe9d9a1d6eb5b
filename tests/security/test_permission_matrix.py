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

from tests.security.helpers import confirmed_device, login_with_otp
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
    return {**dict.fromkeys(ROLES, DENIED), **base, **by_role}


def front(**by_role):
    """A login-required front-end URL: anonymous → login page; the rest as given (default 200)."""
    return {**dict.fromkeys(ROLES, OK), "anonymous": LOGIN, **by_role}


def _owner_only(owner_ok):
    return front(
        **{r: HIDDEN for r in ROLES if r not in ("anonymous", "learner")}, learner=owner_ok
    )


def _scoped_object(**by_role):
    """An HP object in a district-scoped admin view: whoever is not named is refused or finds
    nothing (a scoped queryset may 404 before the permission check)."""
    return admin_view(**{**dict.fromkeys(ROLES[3:], DENIED_OR_HIDDEN), **by_role})


def name_is(*names):
    return lambda e: e.name in names


def ns_is(*namespaces):
    return lambda e: e.namespace in namespaces


def route_is(*routes):
    return lambda e: e.route in routes


def ns_view(namespace, *url_names):
    return lambda e: e.namespace == namespace and e.url_name in url_names


# Ordered: the first matching rule decides. Rules name their URL names explicitly so a new
# view never silently inherits an expectation it was not designed for.
RULES = [
    # --- public ---------------------------------------------------------------------------
    (name_is("healthz", "verify:verify", "verify:verify_json"), roles_(OK)),
    # The offline page and its service worker script are static, for everyone.
    (name_is("service_worker", "offline"), roles_(OK)),
    (
        name_is(
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
        ),
        roles_(OK),
    ),
    # Activation with a printed slip (issue 16): public; signed-in users are sent home.
    (name_is("activate"), roles_(REDIRECT, anonymous=OK)),
    # Logged-in users are sent on from the login page (redirect_authenticated_user).
    (name_is("login"), roles_(REDIRECT, anonymous=OK)),
    (name_is("logout"), roles_(LOGIN)),  # LOGOUT_REDIRECT_URL = "login"
    (name_is("password_change", "password_change_done"), front()),
    # The enrolment and verification pages send to each other ("otp") as the device requires.
    (name_is("otp_setup", "otp_verify"), front(**{r: {"200", "otp"} for r in ROLES[1:]})),
    # Hole 8: only the account's owner with a valid signed token (the world's token is bad).
    (name_is("confirm_email_change"), front(**dict.fromkeys(ROLES[1:], HIDDEN))),
    # 2FA enrolment link (the world's token is bad): refused, or on to the code page for an
    # account that has a device already.
    (name_is("otp_enrol"), front(**{r: {"400", "otp"} for r in ROLES[1:]})),
    # Hole 3: our user editor (lms.organisation.user_admin) -- city administrators edit
    # accounts they may manage; nobody below superuser deletes.
    (
        ns_view("wagtailusers_users", "index", "index_results", "add", "edit"),
        admin_view(city_admin=OK),
    ),
    (ns_view("wagtailusers_users", "delete"), admin_view()),
    # Wagtail pages (our course and lesson page): the training site is for signed-in staff.
    (name_is("wagtail_serve"), front()),
    (name_is("training_page"), front()),  # the same pages, lesson snapshots first
    # --- learner front end ----------------------------------------------------------------
    (name_is("home", "quizzes:history", "quizzes:progress", "certificates:index"), front()),
    (name_is("quizzes:quiz"), front()),
    (
        name_is("quizzes:start", "courses:enrol", "courses:complete_lesson"),
        front(**dict.fromkeys(ROLES[1:], REDIRECT)),
    ),
    # Learner A's attempt: only A. (autosave with an empty body: 400 for the owner)
    (name_is("quizzes:attempt", "quizzes:result", "quizzes:summary"), _owner_only(OK)),
    (name_is("quizzes:flag"), _owner_only(REDIRECT)),
    (name_is("quizzes:autosave"), _owner_only({"400"})),
    (name_is("quizzes:submit"), _owner_only(REDIRECT)),
    (name_is("quizzes:check"), _owner_only(HIDDEN)),  # quiz does not show answers per question
    # Certificates: the holder, and administrators of the holder's district.
    (
        name_is("certificates:pdf", "certificates:badge"),
        front(learner_pd=HIDDEN, trainer=HIDDEN, admin_pd=HIDDEN),
    ),
    (name_is("certificates:lookup"), front(learner={"403"}, learner_pd={"403"}, trainer={"403"})),
    # Booking an HP session (POST): the HP people expected at it; nobody else finds it.
    (
        name_is("rollout:book_session"),
        front(**{**dict.fromkeys(ROLES[1:], HIDDEN), "learner": REDIRECT, "admin_hp": REDIRECT}),
    ),
    # QR check-in with a token that is not the current one: refused for everybody.
    (name_is("rollout:checkin"), front(**dict.fromkeys(ROLES[1:], {"403"}))),
    (
        name_is("rollout:export_download"),
        front(learner=HIDDEN, learner_pd=HIDDEN, trainer=HIDDEN, admin_pd=HIDDEN),
    ),
    # --- rollout admin views --------------------------------------------------------------
    # /admin/ (lms.rollout.views.admin_home, unnamed, in front of Wagtail's home): city and
    # district administrators are sent on to their dashboard; trainers get Wagtail's home;
    # nobody without admin access gets anything (require_admin_access).
    (
        route_is("admin/"),
        admin_view(trainer=OK, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=REDIRECT),
    ),
    # GET: the overdue people of the administrator's own scope without e-mail (issue 16);
    # POST reminds them and comes back here (another district's id is a 404, tests/rollout).
    # Its own permission, rollout.send_reminders (city and district administrators): a
    # dashboard viewer without it is refused (test_remind_overdue_needs_its_own_permission).
    (
        ns_view("rollout_admin", "remind_overdue"),
        admin_view(trainer=DENIED, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("rollout_admin", "dashboard"),
        admin_view(trainer=DENIED, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=OK),
    ),
    (
        ns_view("rollout_admin", "district_dashboard", "enrol_wave"),
        admin_view(trainer=DENIED, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (
        ns_view(
            "rollout_admin",
            "roster",
            "roster_results",
            "exports",
            "import",
            "import_template",
        ),
        admin_view(trainer=DENIED, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    # An import job (lms.jobs.wizard): only the person who uploaded the file.
    (
        ns_view("rollout_admin", "import_job", "import_progress"),
        admin_view(trainer=DENIED, admin_hp=OK, admin_pd=HIDDEN, city_admin=HIDDEN),
    ),
    (
        ns_view("rollout_admin", "export_xlsx"),
        admin_view(trainer=DENIED, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=REDIRECT),
    ),
    (
        ns_view("rollout_admin", "attendance", "sign_in_sheet", "checkin_screen"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    # --- quiz tools -------------------------------------------------------------------------
    (
        ns_view(
            "quizzes_admin",
            "import",
            "import_template",
            "export",
            "marking",
            "quiz_statistics",
            "question_preview",
            # 试做 (try this quiz): whoever may change quizzes or questions, never a learner.
            "try_quiz",
            "regrade",
        ),
        admin_view(trainer=OK, city_admin=OK),
    ),
    (
        ns_view("quizzes_admin", "import_job", "import_progress"),
        admin_view(trainer=OK, city_admin=HIDDEN),
    ),
    (
        ns_view("quizzes_admin", "statistics"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    # --- certificate admin ----------------------------------------------------------------
    (
        name_is("certificates_batches"),
        admin_view(trainer=DENIED, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    # Only the requester may download a batch.
    (
        name_is("certificates_batch_download"),
        admin_view(trainer=HIDDEN, admin_hp=OK, admin_pd=HIDDEN, city_admin=HIDDEN),
    ),
    (
        ns_view("certificates_certificate", "revoke", "reissue", "reinstate"),
        _scoped_object(trainer=DENIED, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (
        ns_view("certificates_certificate", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        ns_view("certificates_certificate", "inspect", "history", "history_results", "usage"),
        _scoped_object(trainer=DENIED_OR_HIDDEN, admin_hp=OK, city_admin=OK),
    ),
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
    # Districts are scoped like every organisation object: a district administrator reads
    # their own district's history (the reminder audit); only the city level changes them.
    (ns_view("district", "edit", "usage"), _scoped_object(city_admin=OK)),
    (ns_view("district", "history", "history_results"), _scoped_object(admin_hp=OK, city_admin=OK)),
    (ns_view("district", "delete", "copy"), _scoped_object()),
    (ns_view("district", "add"), admin_view()),
    # --- learning records (view-only for administrators: history/usage need "change") ----
    (
        lambda e: (
            e.namespace in ("enrollments", "lesson_progress")
            and e.url_name in ("index", "index_results")
        ),
        admin_view(admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (
        lambda e: e.namespace in ("enrollments", "lesson_progress") and e.url_name == "inspect",
        _scoped_object(admin_hp=OK, city_admin=OK),
    ),
    (
        lambda e: (
            e.namespace in ("enrollments", "lesson_progress")
            and e.url_name
            in ("history", "history_results", "usage", "add", "edit", "delete", "copy")
        ),
        _scoped_object(),
    ),
    # --- quizzes ------------------------------------------------------------------------------
    (
        ns_view("attempt", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (ns_view("attempt", "inspect"), _scoped_object(trainer=OK, admin_hp=OK, city_admin=OK)),
    (
        ns_view("attempt", "history", "history_results", "usage", "add", "edit", "delete", "copy"),
        _scoped_object(),
    ),
    # Banks, categories, questions, quizzes: trainers and the city; delete as granted.
    (
        lambda e: e.namespace in ("quiz", "questionbank") and e.url_name == "delete",
        admin_view(city_admin=OK),
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
        ns_view("rollout_waves", "inspect"),
        _scoped_object(trainer=OK, admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (
        ns_view(
            "rollout_waves", "history", "history_results", "usage", "add", "edit", "delete", "copy"
        ),
        _scoped_object(city_admin=OK),
    ),
    (
        ns_view("rollout_sessions", "index", "index_results"),
        admin_view(trainer=OK, admin_hp=OK, admin_pd=OK, city_admin=OK),
    ),
    (ns_view("rollout_sessions", "add"), admin_view(admin_hp=OK, admin_pd=OK, city_admin=OK)),
    (
        ns_view(
            "rollout_sessions", "edit", "history", "history_results", "usage", "copy", "inspect"
        ),
        _scoped_object(admin_hp=OK, admin_pd=HIDDEN, city_admin=OK),
    ),
    (ns_view("rollout_sessions", "delete"), _scoped_object(admin_pd=HIDDEN, city_admin=OK)),
]


# --- Wagtail's own admin (pages, images, documents, snippets, users, groups, reports,
# settings) and the document download: not collected from the resolver (hundreds of
# patterns), but a fixed sample of each area against the world's objects.
T = {"trainer": OK}
WAGTAIL_ADMIN = {
    # label: (path for the world, expectations by role)
    # The same path as the "admin/" rule: administrators are sent on to their dashboard.
    "wagtail:home": (lambda w: reverse("wagtailadmin_home"), admin_view(
        trainer=OK, admin_hp=REDIRECT, admin_pd=REDIRECT, city_admin=REDIRECT)),
    # Trainers are sent on to the training tree they may edit.
    "wagtail:explore_root": (
        lambda w: reverse("wagtailadmin_explore_root"), admin_view(trainer=REDIRECT)),
    "wagtail:explore_course": (
        lambda w: reverse("wagtailadmin_explore", args=[w.course.pk]), admin_view(**T)),
    "wagtail:edit_course": (
        lambda w: reverse("wagtailadmin_pages:edit", args=[w.course.pk]), admin_view(**T)),
    # A course takes one page type: Wagtail goes straight to its create form.
    "wagtail:add_lesson": (
        lambda w: reverse("wagtailadmin_pages:add_subpage", args=[w.course.pk]),
        admin_view(trainer=REDIRECT)),
    # Trainers submit pages for review (the moderation workflow); they do not delete them.
    "wagtail:delete_lesson": (
        lambda w: reverse("wagtailadmin_pages:delete", args=[w.lessons[1].pk]), admin_view()),
    "wagtail:images": (lambda w: reverse("wagtailimages:index"), admin_view(**T)),
    "wagtail:images_add": (lambda w: reverse("wagtailimages:add_multiple"), admin_view(**T)),
    "wagtail:documents": (lambda w: reverse("wagtaildocs:index"), admin_view(**T)),
    "wagtail:documents_add": (lambda w: reverse("wagtaildocs:add_multiple"), admin_view(**T)),
    "wagtail:document_edit": (
        lambda w: reverse("wagtaildocs:edit", args=[w.document.pk]), admin_view(**T)),
    "wagtail:snippets": (lambda w: reverse("wagtailsnippets:index"), admin_view()),
    "wagtail:users": (lambda w: reverse("wagtailusers_users:index"), admin_view(city_admin=OK)),
    "wagtail:user_add": (lambda w: reverse("wagtailusers_users:add"), admin_view(city_admin=OK)),
    "wagtail:user_edit_learner": (
        lambda w: reverse("wagtailusers_users:edit", args=[w.user("learner").pk]),
        admin_view(city_admin=OK)),
    # Hole 3: nobody below superuser edits the operator's account.
    "wagtail:user_edit_superuser": (
        lambda w: reverse("wagtailusers_users:edit", args=[w.superuser.pk]), admin_view()),
    "wagtail:user_delete": (
        lambda w: reverse("wagtailusers_users:delete", args=[w.user("learner").pk]),
        admin_view()),
    "wagtail:groups": (lambda w: reverse("wagtailusers_groups:index"), admin_view()),
    "wagtail:group_add": (lambda w: reverse("wagtailusers_groups:add"), admin_view()),
    "wagtail:site_history": (
        lambda w: reverse("wagtailadmin_reports:site_history"), admin_view(city_admin=OK)),
    "wagtail:locked_pages": (
        lambda w: reverse("wagtailadmin_reports:locked_pages"), admin_view(**T)),
    # Page reports: whoever holds page permissions (trainers).
    "wagtail:workflow_report": (
        lambda w: reverse("wagtailadmin_reports:workflow"), admin_view(**T)),
    "wagtail:aging_pages": (
        lambda w: reverse("wagtailadmin_reports:aging_pages"), admin_view(**T)),
    "wagtail:page_types": (
        lambda w: reverse("wagtailadmin_reports:page_types_usage"), admin_view(**T)),
    "wagtail:sites": (lambda w: reverse("wagtailsites:index"), admin_view()),
    "wagtail:redirects": (lambda w: reverse("wagtailredirects:index"), admin_view()),
    "wagtail:certificate_settings": (
        lambda w: reverse(
            "wagtailsettings:edit", args=["certificates", "certificatesettings", _settings_pk()]
        ),
        admin_view(**T, city_admin=OK)),
    "wagtail:document_download": (
        lambda w: reverse("wagtaildocs_serve", args=[w.document.pk, w.document.filename]),
        front()),
}  # fmt: skip


def _settings_pk():
    from certificates.models import CertificateSettings

    return CertificateSettings.load().pk


def wagtail_entries():
    return [
        Entry(route=label, name=label, module="wagtail", model=None, kwargs=(), defaults=())
        for label in WAGTAIL_ADMIN
    ]


def rule_for(entry):
    if entry.name in WAGTAIL_ADMIN:
        return WAGTAIL_ADMIN[entry.name][1]
    for predicate, expected in RULES:
        if predicate(entry):
            return expected
    return None


# Known permission holes: (url name, role) → the reason. The matrix test skips these cells;
# test_known_hole asserts the CORRECT outcome and is xfail(strict=True) until fixed.
KNOWN_HOLES = {}  # (url name, role) -> reason; a strict xfail until the hole is fixed


# --------------------------------------------------------------------------- requests


# Which object each URL kwarg names. By viewset model first, then by URL name.
def _model_objects(w):
    return {
        "auth.User": w.user("learner"),
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
        "quizzes:summary": {"pk": w.attempt_open.pk},
        "quizzes:flag": {"pk": w.attempt_open.pk, "position": 1},
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
        "rollout_admin:sign_in_sheet": {"pk": w.session_hp.pk},
        "rollout_admin:checkin_screen": {"pk": w.session_hp.pk},
        "rollout:book_session": {"pk": w.session_hp.pk},
        "rollout:checkin": {"pk": w.session_hp.pk, "token": "0" * 24},
        "quizzes_admin:export": {"pk": w.bank.pk},
        "quizzes_admin:import_job": {"pk": w.question_job.pk},
        "quizzes_admin:import_progress": {"pk": w.question_job.pk},
        "quizzes_admin:import_template": {"fmt": "gift"},
        "rollout_admin:import_job": {"pk": w.import_job_hp.pk},
        "rollout_admin:import_progress": {"pk": w.import_job_hp.pk},
        "rollout_admin:import_template": {"fmt": "xlsx"},
        "quizzes_admin:quiz_statistics": {"pk": w.quiz.pk},
        "quizzes_admin:question_preview": {"pk": w.question.pk},
        "quizzes_admin:try_quiz": {"pk": w.quiz.pk},
        "quizzes_admin:regrade": {"pk": w.question.pk},
        "certificates_batch_download": {"pk": w.batch_hp.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "confirm_email_change": {"token": "not-a-signed-token"},
        "otp_enrol": {"token": "not-a-signed-token"},
    }


def urls_for(entry, w):
    """The concrete paths to request for ``entry`` (most have one)."""
    if entry.name in WAGTAIL_ADMIN:
        return [WAGTAIL_ADMIN[entry.name][0](w)]
    if entry.name in ("wagtail_serve", "training_page"):
        return [w.course.url, w.lessons[0].url]
    kwargs = {}
    if entry.kwargs:
        kwargs = dict(_by_name(w).get(entry.name, {}))
        if not kwargs and entry.model is not None:
            obj = _model_objects(w).get(entry.model._meta.label)
            if obj is not None:
                kwargs = dict.fromkeys(entry.kwargs, obj.pk)
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
        if location.startswith("/accounts/2fa/"):
            return "otp"
        return "302"
    return str(status)


# Run these last: they change state (log out, submit the attempt under test).
LAST = ("quizzes:submit", "logout")


def _order(entries):
    return sorted(entries, key=lambda e: LAST.index(e.name) + 1 if e.name in LAST else 0)


def request(client, path):
    response = client.get(path)
    method = "GET"
    if response.status_code == 405:
        response = client.post(path)
        method = "POST"
    return method, response


PRIVILEGED = ("trainer", "admin_hp", "admin_pd", "city_admin")
OTP = {"otp"}  # redirected to the second-factor page (/accounts/2fa/...)
REFUSALS = {"403", "404", "admin_login", "admin_home"}


def unverified(expected_for_learner):
    """What a privileged account gets without its second factor: what window staff get (the
    unrelated learner's expectation) -- lms.organisation.security withholds every permission
    -- or, where that is a refusal, the redirect to the second-factor page (a refused
    request is sent there; a view that answers 404 itself stays a 404). Never more."""
    if expected_for_learner & REFUSALS:
        return expected_for_learner | OTP
    return expected_for_learner


# Front-end views that answer by the person's own district, not by a permission (booking a
# session of one's district): an account without its second factor gets what it gets with it,
# a refusal sending it to the second-factor page.
BY_OWN_DISTRICT = {"rollout:book_session"}


def login_as(client, user, role, verified=True):
    """Privileged roles sign in with a verified TOTP device (LMS_REQUIRE_2FA is on here);
    ``verified=False``: password only, with a confirmed device (so the redirect is to verify)."""
    if user is None:
        return
    if role in PRIVILEGED and verified:
        login_with_otp(client, user)
    else:
        if role in PRIVILEGED:
            confirmed_device(user)
        client.force_login(user)


def run_role(role, w, entries, verified=True):
    """Request every URL as ``role``; return (rows, failures)."""
    client = Client()
    login_as(client, w.user(role), role, verified)
    rows, failures = [], []
    for entry in _order(entries):
        expected = rule_for(entry)[role]
        if not verified:
            expected = (
                unverified(rule_for(entry)[role])
                if entry.name in BY_OWN_DISTRICT
                else unverified(rule_for(entry)["learner_pd"])
            )
        for path in urls_for(entry, w):
            t0 = time.perf_counter()
            method, response = request(client, path)
            got = outcome(response)
            rows.append((entry.name, method, path, got, time.perf_counter() - t0))
            hole = KNOWN_HOLES.get((entry.name, role)) if verified else None
            if response.status_code >= 500 or (got not in expected and hole is None):
                failures.append(
                    f"{role:11} {method:4} {path:60} {entry.name:42} "
                    f"got {got:11} expected {'|'.join(sorted(expected))}"
                )
    return rows, failures


@pytest.fixture
def world(tmp_path, settings):
    # Production's rule: privileged roles sign in with a second factor (login_as).
    settings.LMS_REQUIRE_2FA = True
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
    "rollout_admin:sign_in_sheet", "rollout_admin:checkin_screen", "rollout:book_session",
    "rollout:checkin",
    "certificates_batch_download", "password_reset_confirm", "confirm_email_change",
    "quizzes:summary", "quizzes:flag",
    "rollout_admin:import_job", "rollout_admin:import_progress", "rollout_admin:import_template",
    "quizzes_admin:import_job", "quizzes_admin:import_progress", "quizzes_admin:import_template",
    "quizzes_admin:question_preview", "quizzes_admin:try_quiz",
    "quizzes_admin:regrade", "otp_enrol",
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, world):
    entries = collect_urls() + wagtail_entries()
    started = time.perf_counter()
    rows, failures = run_role(role, world, entries)
    elapsed = time.perf_counter() - started
    print(f"\n{role}: {len(rows)} requests in {elapsed:.1f}s")
    for name, method, path, got, secs in sorted(rows, key=lambda r: -r[4])[:15]:
        print(f"  {secs * 1000:6.0f} ms {method:4} {got:11} {path}  [{name}]")
    assert not failures, f"{len(failures)} unexpected outcomes:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", PRIVILEGED)
def test_permission_matrix_without_second_factor(role, world):
    """Hole 2 (issue 15): every URL, Wagtail's own admin included, with a password alone."""
    entries = collect_urls() + wagtail_entries()
    rows, failures = run_role(role, world, entries, verified=False)
    print(f"\n{role} (no second factor): {len(rows)} requests")
    assert not failures, f"{len(failures)} unexpected outcomes:\n" + "\n".join(failures)
    # Every admin URL sends the session to the second-factor page.
    not_sent = [r for r in rows if r[2].startswith("/admin/") and r[3] != "otp"]
    assert not not_sent, not_sent


# --------------------------------------------------------------------------- known holes


def _hole_params():
    entries = {e.name: e for e in collect_urls()}
    params = []
    for (name, role), reason in sorted(KNOWN_HOLES.items()):
        params.append(
            pytest.param(
                name,
                role,
                id=f"{name}-{role}",
                marks=pytest.mark.xfail(strict=True, reason=reason),
            )
        )
        assert name in entries, f"KNOWN_HOLES names an unknown URL: {name}"
    return params


@pytest.mark.parametrize(("name", "role"), _hole_params())
def test_known_hole(name, role, world):
    """The correct outcome of a cell listed in KNOWN_HOLES (fails until the hole is fixed;
    then XPASS(strict) fails: remove the entry from KNOWN_HOLES)."""
    entry = next(e for e in collect_urls() if e.name == name)
    client = Client()
    login_as(client, world.user(role), role)
    for path in urls_for(entry, world):
        _method, response = request(client, path)
        assert outcome(response) in rule_for(entry)[role], path


# --------------------------------------------------------------------------- object level


def _client(user):
    client = Client()
    login_with_otp(client, user)  # 2FA is on in this module: a verified session
    return client


def test_learner_cannot_reach_another_learners_attempts_and_certificates(world):
    w = world
    other = _client(w.user("learner_pd"))
    attempt, done, cert = w.attempt_open, w.attempt_done, w.certificate
    answers_before = list(attempt.responses.order_by("position").values_list("answer", flat=True))
    assert other.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 404
    assert other.get(reverse("quizzes:result", args=[done.pk])).status_code == 404
    assert other.get(reverse("quizzes:attempt", args=[done.pk])).status_code == 404
    saved = other.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data='{"position": 1, "answer": {"value": true}}',
        content_type="application/json",
    )
    assert saved.status_code == 404
    assert saved.json() == {"saved": False, "error": "not_found"}
    assert other.post(reverse("quizzes:submit", args=[attempt.pk])).status_code == 404
    assert other.post(reverse("quizzes:check", args=[attempt.pk, 1])).status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == attempt.IN_PROGRESS
    answers_after = list(attempt.responses.order_by("position").values_list("answer", flat=True))
    assert answers_after == answers_before
    assert other.get(reverse("certificates:pdf", args=[cert.pk])).status_code == 404
    assert other.get(reverse("certificates:badge", args=[cert.pk])).status_code == 404
    # Their own listings do not show A's records.
    history = other.get(reverse("quizzes:history")).content.decode()
    assert reverse("quizzes:result", args=[done.pk]) not in history
    index = other.get(reverse("certificates:index")).content.decode()
    assert cert.serial not in index
    # The owner does reach them (the 404s above are about ownership, not broken URLs).
    owner = _client(w.user("learner"))
    assert owner.get(reverse("quizzes:attempt", args=[attempt.pk])).status_code == 200
    assert owner.get(reverse("certificates:pdf", args=[cert.pk])).status_code == 200


def test_complete_lesson_only_records_the_requesting_learner(world):
    from courses.models import LessonProgress

    w = world
    lesson = w.lessons[1]
    before_a = set(LessonProgress.objects.filter(user=w.user("learner")).values_list("pk"))
    response = _client(w.user("learner_pd")).post(
        reverse("courses:complete_lesson", args=[lesson.pk])
    )
    assert response.status_code == 302
    assert LessonProgress.objects.filter(user=w.user("learner_pd"), lesson=lesson).exists()
    after_a = set(LessonProgress.objects.filter(user=w.user("learner")).values_list("pk"))
    assert after_a == before_a
    # Another learner's progress is not visible to a learner anywhere on the front end.
    progress = _client(w.user("learner_pd")).get(reverse("quizzes:progress"))
    assert progress.status_code == 200


ADMIN_PD_HIDDEN_GETS = [
    ("staffprofile:edit", lambda w: [w.profile_hp.pk]),
    ("staffprofile:inspect", lambda w: [w.profile_hp.pk]),
    ("staffprofile:history", lambda w: [w.profile_hp.pk]),
    ("rollout:export_download", lambda w: [w.export_hp.pk]),
    ("rollout_admin:district_dashboard", lambda w: [w.hp.pk]),
    ("rollout_admin:enrol_wave", lambda w: [w.wave_hp.pk]),
    ("rollout_waves:inspect", lambda w: [w.wave_hp.pk]),
    ("rollout_admin:attendance", lambda w: [w.session_hp.pk]),
    ("rollout_admin:sign_in_sheet", lambda w: [w.session_hp.pk]),
    ("rollout_admin:checkin_screen", lambda w: [w.session_hp.pk]),
    ("rollout_sessions:edit", lambda w: [w.session_hp.pk]),
    ("certificates_certificate:inspect", lambda w: [w.certificate.pk]),
    ("certificates_certificate:history", lambda w: [w.certificate.pk]),
    ("certificates_certificate:reinstate", lambda w: [w.certificate.pk]),
    ("certificates_certificate:revoke", lambda w: [w.certificate.pk]),
    ("certificates_batch_download", lambda w: [w.batch_hp.pk]),
    ("certificates:pdf", lambda w: [w.certificate.pk]),
    ("attempt:inspect", lambda w: [w.attempt_done.pk]),
    ("enrollments:inspect", lambda w: [w.enrollment.pk]),
    ("lesson_progress:inspect", lambda w: [w.progress.pk]),
]


def test_district_admin_cannot_reach_another_districts_objects(world):
    w = world
    admin_pd, admin_hp = _client(w.user("admin_pd")), _client(w.user("admin_hp"))
    failures = []
    for name, args in ADMIN_PD_HIDDEN_GETS:
        url = reverse(name, args=args(w))
        got, own = admin_pd.get(url).status_code, admin_hp.get(url).status_code
        if got not in (403, 404) or own != 200:
            failures.append(f"{name} {url}: PD admin {got} (want 404/403), HP admin {own}")
    assert not failures, "\n".join(failures)


def test_district_admin_cannot_change_another_districts_objects(world):
    from lms.rollout.models import Attendance

    w = world
    admin_pd = _client(w.user("admin_pd"))
    edit = admin_pd.post(
        reverse("staffprofile:edit", args=[w.profile_hp.pk]),
        {"full_name": "改名", "employee_no": w.profile_hp.employee_no, "district": w.pd.pk},
    )
    assert edit.status_code == 404
    w.profile_hp.refresh_from_db()
    assert w.profile_hp.full_name != "改名" and w.profile_hp.district_id == w.hp.pk

    attendance = admin_pd.post(
        reverse("rollout_admin:attendance", args=[w.session_hp.pk]),
        {"present": [w.profile_hp.pk]},
    )
    assert attendance.status_code == 404
    assert not Attendance.objects.filter(session=w.session_hp).exists()

    enrolled = w.enrollment.__class__.objects.count()
    assert admin_pd.post(reverse("rollout_admin:enrol_wave", args=[w.wave_hp.pk])).status_code == (
        404
    )
    assert w.enrollment.__class__.objects.count() == enrolled

    revoke = admin_pd.post(
        reverse("certificates_certificate:revoke", args=[w.certificate.pk]), {"reason": "x"}
    )
    assert revoke.status_code == 404
    w.certificate.refresh_from_db()
    assert w.certificate.revoked_at is None

    # A new staff profile cannot be put into another district.
    added = admin_pd.post(
        reverse("staffprofile:add"),
        {"full_name": "新人", "employee_no": "PM-X1", "district": w.hp.pk, "is_active": "on"},
    )
    assert added.status_code == 200  # the form again, with the district refused
    assert not w.profile_hp.__class__.objects.filter(employee_no="PM-X1").exists()


def test_district_admin_listings_and_exports_hold_only_their_district(world):
    w = world
    admin_pd = _client(w.user("admin_pd"))
    a_name, a_no = w.profile_hp.full_name, w.profile_hp.employee_no
    pd_no = w.profile_pd.employee_no

    # ?district=<HP> is ignored or refused for a PD administrator: no HP row in the CSV.
    for query in ("", f"&district={w.hp.pk}"):
        response = admin_pd.get(reverse("rollout_admin:roster") + "?export=csv" + query)
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        flat = "\n".join(",".join(r) for r in rows)
        assert a_no not in flat and a_name not in flat, query
        if not query:
            assert pd_no in flat  # the export does hold the PD learner
    roster = admin_pd.get(reverse("rollout_admin:roster") + f"?district={w.hp.pk}")
    assert roster.status_code == 200
    assert a_no not in roster.content.decode()

    for name in (
        "staffprofile:index",
        "attempt:index",
        "enrollments:index",
        "lesson_progress:index",
        "certificates_certificate:index",
        "rollout_admin:exports",
    ):
        page = admin_pd.get(reverse(name))
        assert page.status_code == 200, name
        text = page.content.decode()
        assert a_no not in text and a_name not in text, name
        assert w.certificate.serial not in text, name
    lookup = admin_pd.get(reverse("certificates:lookup"), {"q": a_no})
    assert lookup.status_code == 200 and a_name not in lookup.content.decode()
    # The HP administrator does see A (the checks above are meaningful).
    page = _client(w.user("admin_hp")).get(reverse("staffprofile:index"))
    assert a_no in page.content.decode()


def test_district_admin_cannot_create_a_session_in_another_district(world):
    from lms.rollout.models import TrainingSession

    w = world
    response = _client(w.user("admin_pd")).post(
        reverse("rollout_sessions:add"),
        {
            "wave": w.wave_hp.pk,
            "district": w.hp.pk,
            "starts_at": "2030-01-01 09:00",
            "place": "越权创建",
            "capacity": 10,
        },
    )
    assert response.status_code in (200, 403, 404)
    assert not TrainingSession.objects.filter(place="越权创建").exists()


def test_remind_overdue_needs_its_own_permission(world):
    """Issue 16: "立即提醒 N 名逾期人员" had no permission of its own (whoever could read a
    dashboard could e-mail a district's staff). ``rollout.send_reminders`` is held by the city
    and district administrator roles only; a dashboard reader without it sees no button and is
    refused on POST."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import ModelLogEntry

    from lms.organisation import roles

    declared = roles.declared_permissions()
    holders = {role for role, perms in declared.items() if "rollout.send_reminders" in perms}
    assert holders == {roles.DISTRICT_ADMIN, roles.CITY_ADMIN}
    for role in holders:
        assert Group.objects.get(name=role).permissions.filter(codename="send_reminders").exists()
    w = world
    assert w.user("admin_hp").has_perm("rollout.send_reminders")

    reader = w.user("admin_hp")
    reader.groups.clear()
    group = Group.objects.create(name="dashboard_reader")
    group.permissions.set(
        Permission.objects.filter(
            codename__in=["access_admin", "view_dashboard", "view_staffprofile"]
        )
    )
    reader.groups.add(group)
    client = _client(reader)
    dashboard = reverse("rollout_admin:district_dashboard", args=[w.hp.pk])
    html = client.get(dashboard).content.decode()
    assert "data-remind" not in html
    response = client.post(reverse("rollout_admin:remind_overdue"), {"district": w.hp.pk})
    # Wagtail's admin URLs turn PermissionDenied into "permission denied" + redirect home.
    assert (response.status_code, response.get("Location")) in {(403, None), (302, "/admin/")}
    assert not ModelLogEntry.objects.filter(action="rollout.remind").exists()


# Activation slips (issue 16): Wagtail's bulk-action URL is Wagtail's own (not collected above),
# so the "print activation slips" action on learner A's (HP) profile is checked here per role.
SLIP_EXPECTED = {
    "anonymous": ADMIN_LOGIN,
    "learner": NOT_ADMIN,
    "learner_pd": NOT_ADMIN,
    "trainer": DENIED,
    "admin_hp": OK,
    "admin_pd": HIDDEN,
    "city_admin": OK,
}


@pytest.mark.parametrize("role", ROLES)
def test_activation_slips_action(role, world):
    from lms.organisation.models import ActivationCode
    from lms.rollout.slip_actions import slips_url

    url = slips_url([world.profile_hp.pk])
    client = _client(world.user(role)) if role != "anonymous" else Client()
    response = client.get(url)
    assert outcome(response) in SLIP_EXPECTED[role], (role, response.status_code)
    # The person has a password: include them explicitly (the permission is what is tested).
    response = client.post(url, {"include_activated": "on"})
    issued = ActivationCode.objects.filter(user=world.profile_hp.user).exists()
    if SLIP_EXPECTED[role] == OK:
        assert response["Content-Type"] == "application/pdf" and issued
    else:
        assert outcome(response) in SLIP_EXPECTED[role] and not issued

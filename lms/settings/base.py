"""Settings shared by every environment. Secrets and services come from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LMS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "lms.organisation",
    "lms.jobs",
    "lms.rollout",
    "courses",
    "quizzes",
    "certificates",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    # wagtail.users with our user editor (lms.organisation.user_admin.UserViewSet)
    "lms.organisation.users_app.WagtailUsersConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lms.organisation.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.organisation.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lms.organisation.security.TwoFactorMiddleware",
    "lms.organisation.middleware.AdminLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "lms.organisation.auth.navigation",
            ],
        },
    },
]

# Database: DATABASE_URL, or an SQLite file under var/ so a fresh clone runs with no server.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep concurrent requests from failing with "database is locked";
    # IMMEDIATE transactions take the write lock at BEGIN, where the busy timeout applies. With
    # deferred ones, two transactions that read and then write (an autosave) deadlock on the
    # upgrade and one fails at once, timeout or not (tests/lms/test_sqlite_concurrency.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the roster and dashboard queries are estimated above PostgreSQL's
    # jit_above_cost once the tables have statistics, and compiling them cost more than running
    # them (a district dashboard 1.4 s with JIT, 0.48 s without; docs/PERFORMANCE.md). A
    # DATABASE_URL with its own ?options=... keeps those.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "lms",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Lesson pages from cached snapshots (courses.snapshots): only with a cache all processes share,
# so that a publish anywhere reaches every process.
LESSON_PAGE_SNAPSHOTS = env_bool("LESSON_PAGE_SNAPSHOTS", bool(REDIS_URL))

AUTHENTICATION_BACKENDS = [
    "lms.organisation.auth.AxesBackend",
    "lms.organisation.auth.ProfileModelBackend",
]
# Argon2 (memory-hard) first: ~10x cheaper in CPU per login than Django's default PBKDF2 with
# 1,000,000 iterations, which queued a whole training room logging in at once behind hashing.
# Existing PBKDF2 hashes still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The client address (docs/SECURITY.md): the number of reverse proxies in front of the app.
# Every component (django-axes, django-ratelimit, audit data) takes it from
# lms.organisation.security.client_ip. 0 ignores X-Forwarded-For (no proxy); production
# defaults to 1.
LMS_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
RATELIMIT_IP_META_KEY = "lms.organisation.security.client_ip"

# Login throttling (django-axes): 5 failures lock that username from that client address for
# 15 minutes, doubling with each further 5 failures in 24 hours
# (lms.organisation.security.axes_cool_off).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = "lms.organisation.security.axes_cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True  # each username+address expires on its own cool-off
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the back-off counts these
AXES_CLIENT_IP_CALLABLE = "lms.organisation.security.client_ip"
AXES_LOCKOUT_CALLABLE = "lms.organisation.security.lockout_response"  # HTTP 429 with Retry-After
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Attempts refused during a lock are not recorded: they neither count nor extend the lock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "lms.organisation.security.axes_username"
# Per-account cap across addresses (lms.organisation.security.LoginAttemptHandler).
AXES_HANDLER = "lms.organisation.security.LoginAttemptHandler"
LMS_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("LMS_ACCOUNT_FAILURE_LIMIT", "20"))
LMS_ACCOUNT_WINDOW_MINUTES = int(os.environ.get("LMS_ACCOUNT_WINDOW_MINUTES", "60"))
LMS_ACCOUNT_DELAY_MINUTES = int(os.environ.get("LMS_ACCOUNT_DELAY_MINUTES", "1"))
LMS_ACCOUNT_MAX_DELAY_MINUTES = int(os.environ.get("LMS_ACCOUNT_MAX_DELAY_MINUTES", "15"))
LMS_KNOWN_ADDRESS_DAYS = int(os.environ.get("LMS_KNOWN_ADDRESS_DAYS", "30"))

# Activation slips for staff without e-mail (lms.organisation.activation, lms.rollout.slips):
# codes stay valid to the end of the local day this many days after printing; the activation
# page allows this many POSTs per client address / per username (django-ratelimit).
ACTIVATION_CODE_DAYS = int(os.environ.get("ACTIVATION_CODE_DAYS", 14))
ACTIVATION_RATE_LIMIT_IP = "30/h"  # a training room shares one address
ACTIVATION_RATE_LIMIT_USERNAME = "10/h"
SLIPS_MAX_PER_PDF = 100  # rendered in the request; the PDF (plain codes) is never stored

# Internationalisation: Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["lms.formats"]  # English: the 24-hour clock, as in Chinese
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILADMIN_USER_LOGIN_FORM = "lms.organisation.forms.AdminLoginForm"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static_collected"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Certificates, exports and imports: never served from MEDIA_URL, only through views
    # that check permissions.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # S3-compatible object storage (django-storages); credentials from AWS_* variables.
    _s3 = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    STORAGES["default"] = _s3
    STORAGES["private"] = {**_s3, "OPTIONS": {**_s3["OPTIONS"], "location": "private"}}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMPORT_UPLOAD_SIZE = 5 * 1024 * 1024
# Every upload (staff import, question import, documents) goes through
# lms.organisation.uploads.validate_upload / read_table with these limits (docs/SECURITY.md,
# hole 6). Bytes: MAX_IMPORT_UPLOAD_SIZE for imports, WAGTAILDOCS_MAX_UPLOAD_SIZE for documents.
UPLOAD_LIMITS = {
    "staff": {"extensions": ["xlsx", "csv"], "max_rows": 50_000, "max_columns": 50,
              "max_cell_chars": 1_000},
    "questions": {"extensions": ["gift", "txt", "aiken"], "max_rows": 200_000,
                  "max_cell_chars": 100_000},
}  # fmt: skip
MAX_UPLOAD_COMPRESSION_RATIO = 100  # ZIP members (XLSX, DOCX…) inflating more are refused
MAX_UPLOAD_UNCOMPRESSED = 50 * 1024 * 1024
FILE_JOB_LIFETIME_DAYS = 7  # background file jobs (imports, exports): manage.py purge_file_jobs
# The roster report builds an XLSX or PDF of up to this many rows while the administrator waits
# (about 2-3 s at 7,000-11,000 rows/s); a larger one goes to the background (RosterExport).
ROSTER_SYNC_EXPORT_ROWS = int(os.environ.get("ROSTER_SYNC_EXPORT_ROWS", "20000"))
# A wave opened in the admin with at most this many enrolments to create is enrolled at once,
# so the saved message says what was enrolled; larger ones are enrolled in the background.
WAVE_SYNC_ENROL_MAX = int(os.environ.get("WAVE_SYNC_ENROL_MAX", "2000"))

# Background tasks (django_tasks): run immediately unless an environment chooses a worker.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {
        "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 900},
        # lms/jobs/scheduling.py: jobs enqueued by ``rqcron lms.jobs.cron``, run by a plain worker
        "scheduled": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300},
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Email
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "培训平台 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Wagtail
WAGTAIL_SITE_NAME = _("上海知识产权公共服务窗口培训平台")
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Wagtail 8's autosave creates a new page as soon as a title is typed, so an abandoned
# "add lesson" form leaves a stray draft in the training tree; trainers save explicitly.
# (0 turns autosave off; Wagtail 8 has one interval for creating and editing.)
WAGTAIL_AUTOSAVE_INTERVAL = 0
SITE_URL = WAGTAILADMIN_BASE_URL
# Certificate expiry reminders, in days before expiry (one e-mail at each stage).
CERTIFICATE_EXPIRY_REMINDER_DAYS = [
    int(d) for d in os.environ.get("CERTIFICATE_EXPIRY_REMINDER_DAYS", "60,30,7").split(",") if d
]
# The weekly digest to administrators: ISO weekday it goes out (1 = Monday).
WEEKLY_DIGEST_WEEKDAY = int(os.environ.get("WEEKLY_DIGEST_WEEKDAY", "1"))
# Chinese substring search on top of Wagtail's database backend (lms/organisation/search.py).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "lms.organisation.search"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv", "docx", "mp4", "odt", "pdf", "pptx", "txt", "webm", "xlsx", "zip"
]  # fmt: skip
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_DOCUMENT_FORM_BASE = "lms.organisation.forms.DocumentForm"  # lms.organisation.uploads
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_NOTIFICATION_USE_HTML = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# "My training" home page sections, rendered in order: callables (request) -> dict | None
# with a "template" key (see lms.organisation.views.home).
# Where a user lands after login when no ``next`` is given: (user) -> url | None.
LOGIN_LANDING = "lms.rollout.views.landing_url"
HOME_SECTIONS = [
    "certificates.views.home_section",
    "lms.rollout.views.home_section",
    "courses.views.home_section",
]
# Sections higher apps add to a course page: callables (request, course) -> dict | None.
COURSE_PAGE_SECTIONS = [
    "certificates.views.course_page_section",
    "quizzes.views.course_page_section",
    "lms.rollout.views.course_page_section",
]
# What a learner still needs for a course's certificate and for authorisation: a callable
# (user, course) -> object with .message() (certificates.standing), shown after every lesson
# and quiz result by the lower floors, which cannot import certificates.
COURSE_STANDING = "certificates.standing.course_standing"

# --- Security hardening (docs/SECURITY.md) ---------------------------------------------------
# Two-factor authentication (django-otp TOTP) for every account that holds a permission:
# superusers, trainers, district and city administrators.
# lms.organisation.security.TwoFactorMiddleware
# withholds every permission from an unverified session (on every URL) and sends it to the
# enrolment (QR code) or verification page.
LMS_REQUIRE_2FA = env_bool("LMS_REQUIRE_2FA", True)
# The first enrolment needs a one-time link (lms.organisation.otp_enrolment): its lifetime when
# issued by the operator (manage.py issue_2fa_enrolment) and when the person has it mailed.
LMS_2FA_ENROLMENT_LINK_HOURS = int(os.environ.get("LMS_2FA_ENROLMENT_LINK_HOURS", "72"))
LMS_2FA_ENROLMENT_EMAIL_HOURS = int(os.environ.get("LMS_2FA_ENROLMENT_EMAIL_HOURS", "24"))
OTP_TOTP_ISSUER = "IP-Window-Training"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views override this with SAMEORIGIN themselves.
# Content-Security-Policy (django-csp 4): nothing from other origins. Learner pages run only our
# own script files; lms.organisation.security.ContentSecurityPolicyMiddleware relaxes
# script-src for /admin/
# (Wagtail 8 still renders a few inline <script>s) and allows same-origin framing for previews.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # style="width: 40%" attributes draw the progress bars; no external stylesheets.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        # Video embeds (the lesson video block) from the origins a deployment approves, e.g.
        # LMS_EMBED_ORIGINS=https://player.bilibili.com,https://v.qq.com
        "frame-src": ["'self'", *env_list("LMS_EMBED_ORIGINS")],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}
LMS_ADMIN_CSP_REPLACE = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "frame-ancestors": ["'self'"],
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no avatar requests to an external service
# Documents are always downloads (Content-Disposition: attachment), never rendered inline.
WAGTAILDOCS_INLINE_CONTENT_TYPES = []

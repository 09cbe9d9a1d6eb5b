"""Test settings: fast hashing, in-memory email, tasks run immediately."""

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105 - test settings only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "lms.organisation.search"}}
AXES_ENABLED = True
# Tests that log into /admin/ with client.force_login need no TOTP device; the 2FA tests in
# tests/security turn this on with the ``settings`` fixture.
LMS_REQUIRE_2FA = False
# Tests run in one process, so the local-memory cache is shared: exercise lesson snapshots.
LESSON_PAGE_SNAPSHOTS = True

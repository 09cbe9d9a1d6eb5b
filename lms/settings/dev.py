"""Local development: DEBUG on, console email, tasks run immediately."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-not-for-production"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Two-factor login for the admin is enforced in production; on a developer's machine the demo
# accounts should work straight away. LMS_REQUIRE_2FA=1 turns it on here too.
LMS_REQUIRE_2FA = env_bool("LMS_REQUIRE_2FA", False)

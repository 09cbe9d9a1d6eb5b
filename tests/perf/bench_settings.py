"""Settings for the gunicorn benchmarks: production settings (DEBUG off, WhiteNoise, the real
middleware) on plain HTTP, plus a trivial view in the benchmark's own URLconf. Never deployed."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-" + "k" * 60)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The production topology: cache and sessions in Redis.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")

from lms.settings.production import *  # noqa: E402, F403
from lms.settings.production import STORAGES  # noqa: E402

ROOT_URLCONF = "tests.perf.urls"
# No collectstatic manifest needed for a benchmark.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# The benchmark data set is generated with the test settings' MD5 hasher; keep PBKDF2 first.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
SECURE_HSTS_SECONDS = 0

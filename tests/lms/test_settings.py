import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


READ = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), "
    "'cache': settings.CACHES['default']['BACKEND'], 'hosts': settings.ALLOWED_HOSTS, "
    "'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, 'email': settings.EMAIL_HOST}))"
)


def test_defaults_use_sqlite_under_var():
    result = run_python(READ, DJANGO_SETTINGS_MODULE="lms.settings.dev")
    assert result.returncode == 0, result.stderr
    assert '"engine": "django.db.backends.sqlite3"' in result.stdout
    assert "var/db.sqlite3" in result.stdout
    assert '"lang": "zh-hans"' in result.stdout and '"tz": "Asia/Shanghai"' in result.stdout


def test_settings_read_from_environment():
    result = run_python(
        READ,
        DJANGO_SETTINGS_MODULE="lms.settings.dev",
        DATABASE_URL="postgres://u:p@db.example:5432/lms",
        REDIS_URL="redis://127.0.0.1:6379/3",
        ALLOWED_HOSTS="training.example.cn,10.0.0.1",
        EMAIL_HOST="smtp.example.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and '"name": "lms"' in result.stdout
    assert "RedisCache" in result.stdout
    assert '"hosts": ["training.example.cn", "10.0.0.1"]' in result.stdout
    assert "smtp.example.cn" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_python(READ, DJANGO_SETTINGS_MODULE="lms.settings.production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("settings_module", ["lms.settings.production"])
def test_check_deploy_clean(settings_module):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": "x7!kq2-" + "a9Zr4#pL8@wN3$vB6^mC1&" * 3,
            "ALLOWED_HOSTS": "training.example.cn",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit():
    """JIT compilation of the roster queries cost more than running them (PERFORMANCE.md)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

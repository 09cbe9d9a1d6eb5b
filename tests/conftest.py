import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def pytest_sessionstart(session):
    """Stop at once, with the reason, when the translation catalogues are not compiled
    (instead of many failures showing Chinese source strings where English was expected)."""
    from django.conf import settings

    from tests.catalogues import catalogue_message, locale_dir_to_check

    message = catalogue_message(locale_dir_to_check(settings.BASE_DIR))
    if message:
        pytest.exit(message, returncode=4)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request in English (language cookie) leaves English active in this thread
    (LocaleMiddleware activates, nothing deactivates): reset it, so the next test (a
    management command, a rendered e-mail) starts in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A database rolled back between tests sends no signals: start each test with an empty
    cache, so nothing cached from another test's content (lesson snapshots, fragments) leaks."""
    from django.core.cache import cache

    cache.clear()
    yield


# A longer run of the lifecycle state machine (tests/certificates/test_lifecycle_model.py):
#   pytest tests/certificates/test_lifecycle_model.py --hypothesis-profile=lifecycle-long
hypothesis_settings.register_profile(
    "lifecycle-long",
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

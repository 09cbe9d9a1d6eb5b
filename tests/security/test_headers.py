"""Content-Security-Policy and other response headers; documents served only as downloads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def directives(response):
    header = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_learner_pages_have_strict_csp(client):
    client.force_login(make_user(roles.WINDOW_STAFF))
    for url in (reverse("login"), reverse("home"), reverse("password_change")):
        response = client.get(url)
        csp = directives(response)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"], url
        assert csp["img-src"] == ["'self'", "data:"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"]
        header = response["Content-Security-Policy"]
        assert "http:" not in header and "https:" not in header and "*" not in header
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/pages/",
        "/admin/users/",
        "/admin/reports/site-history/",
        "/admin/documents/",
        "/admin/images/",
    ],
)
def test_admin_pages_load_with_relaxed_csp(client, url):
    user = make_user(roles.CITY_ADMIN, district=None)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    # /admin/ sends administrators on to their dashboard: check the page they land on.
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    csp = directives(response)
    # Wagtail 8 renders a few inline <script>s (inline panels, date pickers) and previews in
    # a same-origin iframe; still no other origin.
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert "https:" not in response["Content-Security-Policy"]
    # No avatar images from an external service (Gravatar is switched off).
    assert "gravatar" not in response.content.decode()


def test_wagtail_preview_may_be_framed_by_the_admin_only(rf):
    from django.http import HttpResponse

    from lms.organisation.security import ContentSecurityPolicyMiddleware

    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("page"))
    request = rf.get("/training/course/")
    request.is_dummy = True  # set by Wagtail's make_preview_request
    csp = directives(middleware(request))
    assert csp["frame-ancestors"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # the previewed page keeps the learner policy
    assert directives(middleware(rf.get("/training/course/")))["frame-ancestors"] == ["'none'"]


def test_documents_are_always_downloads(client, settings):
    document = get_document_model().objects.create(
        title="办事指南", file=ContentFile(b"%PDF-1.4 test", name="guide.pdf")
    )
    html = get_document_model().objects.create(
        title="page", file=ContentFile(b"<script>alert(1)</script>", name="x.txt")
    )
    client.force_login(make_user(roles.WINDOW_STAFF))
    for doc in (document, html):
        response = client.get(doc.url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response.get("X-Content-Type-Options") == "nosniff"
        if response.streaming:
            b"".join(response.streaming_content)  # consume to close the file


def test_media_documents_not_served_by_the_site(client, settings):
    folder = Path(settings.MEDIA_ROOT) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret.pdf").write_bytes(b"%PDF-1.4")
    assert client.get("/media/documents/secret.pdf").status_code == 404


def test_production_urls_have_no_media_route():
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/media/documents/x.pdf'); print('SERVED')\n"
        "except Resolver404:\n    print('NOT SERVED')\n"
        "from django.conf import settings; print(settings.WAGTAILDOCS_INLINE_CONTENT_TYPES,"
        " settings.WAGTAILDOCS_SERVE_METHOD, settings.X_FRAME_OPTIONS,"
        " settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="lms.settings.production",
        SECRET_KEY="p" * 60,
        ALLOWED_HOSTS="training.example.cn",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "NOT SERVED" in result.stdout
    assert "[] serve_view DENY True 31536000" in result.stdout

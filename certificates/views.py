from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from lms.organisation.roles import admin_district_ids, is_admin, scope_to_districts

from .authorisation import is_active_person, is_authorised, revocation_reason
from .lifecycle import open_renewals
from .models import Certificate

VERIFY_RATE_LIMIT = getattr(settings, "CERTIFICATE_VERIFY_RATE_LIMIT", 30)  # per IP per minute
VERIFY_CODE_LENGTH = 22  # secrets.token_urlsafe(16)


# --- learner -----------------------------------------------------------------------------


def home_section(request):
    """The "My training" banner: authorised or not, and what is missing."""
    if not request.user.is_authenticated:
        return None
    from .standing import explain

    open_renewals(user=request.user)
    status = explain(request.user, is_authorised(request.user))
    return {"template": "certificates/home_section.html", "status": status}


def course_page_section(request, course):
    """The course page's "your certificate" box: re-opens the course for recertification when
    the certificate is expiring, then says what is still missing or links the certificate."""
    if not request.user.is_authenticated:
        return None
    from .standing import course_standing

    open_renewals(user=request.user, course=course)
    return {
        "template": "certificates/includes/course_standing.html",
        "standing": course_standing(request.user, course),
    }


@login_required
def index(request):
    from .authorisation import certificate_note
    from .standing import explain

    # The expiry e-mail links here: re-open the courses due for renewal first, so the page
    # says what renewing needs. The same precise list as the home banner.
    open_renewals(user=request.user)
    status = explain(request.user, is_authorised(request.user))
    expiring = {cert.pk: cert for cert in status.expiring}
    certificates = list(
        Certificate.objects.filter(user=request.user)
        .select_related("course", "holder_district")
        .order_by("-issued_at")
    )
    now = timezone.now()
    for cert in certificates:
        cert.current_status = cert.status_at(now)
        # Only a valid certificate is offered for download (see ``pdf``).
        cert.downloadable = cert.current_status == Certificate.VALID
        cert.expiring = expiring.get(cert.pk)
        if cert.current_status in (Certificate.EXPIRED, Certificate.REVOKED):
            cert.note = certificate_note(cert, now)
            if cert.current_status == Certificate.REVOKED:
                cert.reason = revocation_reason(cert)
    return render(
        request, "certificates/index.html", {"status": status, "certificates": certificates}
    )


def _visible_certificate(request, pk):
    """The holder's own certificate, or one of a person the user administers now (their
    current district, ``CertificateQuerySet.administered_by``); else 404."""
    cert = get_object_or_404(
        Certificate.objects.select_related("course", "holder_district", "superseded_by"), pk=pk
    )
    if cert.user_id == request.user.pk:
        return cert
    if (
        request.user.has_perm("certificates.view_certificate")
        and is_admin(request.user)
        and Certificate.objects.administered_by(request.user).filter(pk=cert.pk).exists()
    ):
        return cert
    raise Http404


def not_downloadable(request, cert):
    """A certificate that is no longer valid is never handed out as a document: its PDF (and
    digital badge) would look as valid as the day it was issued. 410 Gone, with what became
    of it (when and why it was revoked, when it expired, which certificate replaced it); its
    verification page keeps telling anyone who checks it the truth. None while it is valid."""
    status = cert.status
    if status == Certificate.VALID:
        return None
    context = {
        "certificate": cert,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "reason": revocation_reason(cert) if status == Certificate.REVOKED else "",
        "replacement": cert.superseded_by if status == Certificate.SUPERSEDED else None,
        "course_url": cert.course.get_url(request=request),
    }
    response = render(request, "certificates/unavailable.html", context, status=410)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def pdf(request, pk):
    cert = _visible_certificate(request, pk)
    refused = not_downloadable(request, cert)
    if refused is not None:
        return refused
    if not cert.pdf:
        from .issuing import store_pdf

        store_pdf(cert)
    response = FileResponse(
        cert.pdf.open("rb"), content_type="application/pdf", filename=f"{cert.serial}.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def badge_credential(cert):
    """An Open Badges 3.0-shaped credential. UNSIGNED: it carries the verification URL and the
    PDF's SHA-256; the authoritative check is the verification endpoint (no key infrastructure)."""
    verify_url = cert.verify_url
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{cert.course.title}（{cert.serial}）",
        "issuer": {
            "id": settings.SITE_URL.rstrip("/") + "/",
            "type": ["Profile"],
            "name": _certificate_issuer_name(),
        },
        "validFrom": cert.issued_at.isoformat(),
        "validUntil": cert.expires_at.isoformat(),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": cert.holder_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "identifier",
                    "hashed": False,
                    "identityHash": cert.serial,
                }
            ],
            "achievement": {
                "id": settings.SITE_URL.rstrip("/") + f"/training/#course-{cert.course.code}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": cert.course.title,
                "description": cert.course.summary,
                "criteria": {"narrative": _("完成全部课文并通过考核。")},
                "humanCode": cert.course.code,
                "creditsAvailable": float(cert.course.hours),
            },
        },
        "evidence": [
            {
                "id": verify_url,
                "type": ["Evidence"],
                "name": cert.serial,
                "description": f"PDF SHA-256: {cert.pdf_sha256}",
            }
        ],
        "credentialStatus": {"id": verify_url.rstrip("/") + ".json", "type": "VerificationURL"},
        "integrity": {
            "signed": False,
            "verificationUrl": verify_url,
            "pdfSha256": cert.pdf_sha256,
            "note": "Unsigned. Check the status at verificationUrl; compare the PDF's SHA-256.",
        },
    }


def _certificate_issuer_name():
    from .models import CertificateSettings

    return CertificateSettings.load().issuing_body


@login_required
def badge(request, pk):
    cert = _visible_certificate(request, pk)
    refused = not_downloadable(request, cert)
    if refused is not None:
        return refused
    response = JsonResponse(badge_credential(cert), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{cert.serial}.badge.json"'
    return response


@login_required
def lookup(request):
    """District administrators: their district's staff; city administrators: everyone."""
    if not (
        request.user.has_perms(["certificates.view_certificate", "lms.view_staffprofile"])
        and is_admin(request.user)
    ):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:50]
    results = []
    if query:
        from lms.organisation.models import StaffProfile

        profiles = scope_to_districts(
            StaffProfile.objects.select_related("district", "user"), request.user
        ).filter(Q(full_name__icontains=query) | Q(employee_no__iexact=query))[:50]
        profiles = list(profiles)
        from .authorisation import authorised_user_ids

        authorised = authorised_user_ids([p.user_id for p in profiles])
        certs = {}
        for cert in (
            Certificate.objects.filter(user_id__in=[p.user_id for p in profiles])
            .select_related("course")
            .order_by("-issued_at")
        ):
            certs.setdefault(cert.user_id, []).append(cert)
        results = [
            {
                "profile": p,
                "authorised": p.user_id in authorised,
                "left": not is_active_person(p.user),
                "certificates": certs.get(p.user_id, []),
            }
            for p in profiles
        ]
    return render(
        request,
        "certificates/lookup.html",
        {
            "query": query,
            "results": results,
            "all_districts": admin_district_ids(request.user) is None,
        },
    )


# --- public verification ------------------------------------------------------------------


def mask_name(name):
    """王小明 → 王*明, 李四 → 李*, 欧阳小明 → 欧阳**; Latin names keep each word's initial."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    if len(name) == 3:
        return name[0] + "*" + name[2]
    return name[:2] + "*" * (len(name) - 2)


def _verify_rate(group, request):
    return f"{getattr(settings, 'CERTIFICATE_VERIFY_RATE_LIMIT', VERIFY_RATE_LIMIT)}/m"


def _too_many_requests(request, fmt):
    """HTTP 429 with ``Retry-After``: one window (a minute) -- by then the count starts anew."""
    retry = 60
    if fmt == "json" or request.GET.get("format") == "json":
        response = JsonResponse({"error": "too many requests", "retry_after": retry}, status=429)
    else:
        response = HttpResponse(
            _("请求过于频繁，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(retry)
    return response


def _lookup_code(code):
    if len(code) != VERIFY_CODE_LENGTH or not all(c.isalnum() or c in "-_" for c in code):
        return None
    return (
        Certificate.objects.select_related("course", "holder_district", "superseded_by")
        .filter(verification_code=code)
        .first()
    )


def verification_data(cert):
    if cert is None:
        return {"status": "unknown", "valid": False}
    status = cert.status
    data = {
        "status": status,
        "valid": status == Certificate.VALID,
        "serial": cert.serial,
        "holder": mask_name(cert.holder_name),
        "district": cert.holder_district.name_zh if cert.holder_district else "上海市",
        "course": cert.course.title,
        "course_code": cert.course.code,
        "hours": float(cert.course.hours),
        "issued_at": timezone.localtime(cert.issued_at).date().isoformat(),
        "expires_at": timezone.localtime(cert.expires_at).date().isoformat(),
    }
    if status == Certificate.REVOKED:
        data["revoked_at"] = timezone.localtime(cert.revoked_at).date().isoformat()
    if status == Certificate.SUPERSEDED and cert.superseded_by:
        data["superseded_by"] = cert.superseded_by.serial
    return data


STATUS_LABELS = {
    "valid": gettext_lazy("证书有效"),
    "expired": gettext_lazy("证书已过期"),
    "revoked": gettext_lazy("证书已被撤销"),
    "superseded": gettext_lazy("证书已被新证书替代"),
    "unknown": gettext_lazy("未找到该证书"),
}


@never_cache
@require_GET
@ratelimit(group="certificates.verify", key="ip", rate=_verify_rate, block=False)
def verify(request, code, fmt=None):
    # Per client address (lms.organisation.security.client_ip: behind the trusted proxies),
    # per minute.
    if request.limited:
        return _too_many_requests(request, fmt)
    cert = _lookup_code(code)
    data = verification_data(cert)
    if fmt == "json" or request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    context = {
        "data": data,
        "label": STATUS_LABELS[data["status"]],
        "certificate": cert,
        # Dates, not strings: the template formats them in the visitor's language.
        "issued_on": timezone.localtime(cert.issued_at).date() if cert else None,
        "expires_on": timezone.localtime(cert.expires_at).date() if cert else None,
        "revoked_on": (
            timezone.localtime(cert.revoked_at).date() if cert and data.get("revoked_at") else None
        ),
    }
    # Unknown and malformed codes render the same page with the same status code.
    return render(request, "certificates/verify.html", context)

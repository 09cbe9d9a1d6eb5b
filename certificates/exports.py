"""Batch downloads: a ZIP of the stored PDFs, or ONE merged PDF rendered as pages of one
WeasyPrint document (~9 ms a page), written to private storage with a CertificateBatch record."""

import io
import zipfile

from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from . import rendering
from .models import Certificate, CertificateBatch

# Above this many certificates a download runs as a background task.
BACKGROUND_THRESHOLD = 50

# Groups of people a higher floor defines (the rollout's waves): name -> func(id) returning
# (user_ids, course_ids). Certificates never look a wave up; the rollout registers its own,
# with ``choices(user) -> [(id, name)]`` (what the batch form offers the user) and
# ``label(id) -> name | None`` (how a batch names it).
_populations = {}
_population_choices = {}
_population_labels = {}


def register_population(name, func, choices=None, label=None):
    _populations[name] = func
    if choices is not None:
        _population_choices[name] = choices
    if label is not None:
        _population_labels[name] = label


def population(name, pk):
    if name not in _populations:
        raise LookupError(f"no population {name!r} registered")
    return _populations[name](pk)


def population_choices(name, user) -> list:
    """``[(id, name)]`` of the ``name`` populations ``user`` may choose (none registered: [])."""
    func = _population_choices.get(name)
    return list(func(user)) if func else []


def population_label(name, pk) -> str:
    """The name of population ``pk`` (its number when no label is registered or it is gone)."""
    func = _population_labels.get(name)
    label = func(pk) if func and pk else None
    return label or (f"#{pk}" if pk else "")


def batch_filename(batch) -> str:
    """ "证书-黄浦区-第一批-20261130.zip": what the batch holds (district, or the requester's
    own district, else 全市; wave; course) and the day it was asked for."""
    from django.utils.translation import gettext as _

    from lms.organisation.models import District
    from lms.organisation.roles import admin_district_ids

    parts = [_("证书")]
    if batch.district is not None:
        parts.append(batch.district.display_name)
    else:
        ids = admin_district_ids(batch.requested_by) if batch.requested_by else None
        names = (
            [d.display_name for d in District.objects.filter(pk__in=ids).order_by("sort_order")]
            if ids
            else []
        )
        parts.append(_("、").join(names) if names else _("全市"))
    if batch.wave_id:
        parts.append(population_label("wave", batch.wave_id))
    if batch.course is not None:
        parts.append(batch.course.code)
    when = timezone.localtime(batch.created_at) if batch.created_at else timezone.localtime()
    parts.append(f"{when:%Y%m%d}")
    extension = "pdf" if batch.format == CertificateBatch.MERGED else "zip"
    name = "-".join(p.replace("/", "_").replace("\\", "_") for p in parts)
    return f"{name}.{extension}"


def batch_queryset(*, user=None, course=None, district=None, wave_id=None):
    """Current certificates (valid or expired; not revoked or superseded) for a batch: of
    people ``user`` administers and (``district``) who work in that district now."""
    qs = Certificate.objects.current().select_related("course", "holder_district")
    if user is not None:
        qs = qs.administered_by(user)
    if course is not None:
        qs = qs.filter(course=course)
    if district is not None:
        qs = qs.filter(user__staff_profile__district=district)
    if wave_id is not None:
        user_ids, course_ids = population("wave", wave_id)
        qs = qs.filter(user_id__in=user_ids, course_id__in=course_ids)
    return qs.order_by("holder_district_code", "course__code", "serial")


def write_zip(certificates, fileobj):
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as archive:
        for cert in certificates:
            if not cert.pdf:
                from .issuing import store_pdf

                store_pdf(cert)
            with cert.pdf.open("rb") as pdf:
                archive.writestr(f"{cert.holder_district_code}/{cert.serial}.pdf", pdf.read())


def write_merged(certificates, fileobj, chunk=200):
    """One printable PDF: chunks of ``chunk`` pages rendered as one document each, joined."""
    wording = None
    from .models import CertificateSettings

    wording = CertificateSettings.wording()
    contexts = (rendering.context_for(cert, wording) for cert in certificates)
    writer = PdfWriter()
    parts = list(rendering.render_many(contexts, chunk=chunk))
    if len(parts) == 1:
        fileobj.write(parts[0])
        return
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.write(fileobj)


def build_batch(batch_id):
    batch = CertificateBatch.objects.select_related("requested_by").get(pk=batch_id)
    batch.status = CertificateBatch.RUNNING
    batch.save(update_fields=["status"])
    try:
        certs = list(
            batch_queryset(
                user=batch.requested_by,
                course=batch.course,
                district=batch.district,
                wave_id=batch.wave_id,
            )
        )
        buffer = io.BytesIO()
        if batch.format == CertificateBatch.MERGED:
            write_merged(certs, buffer)
            name = f"certificates-{batch.pk}.pdf"
        else:
            write_zip(certs, buffer)
            name = f"certificates-{batch.pk}.zip"
        batch.file.save(name, ContentFile(buffer.getvalue()), save=False)
        batch.certificate_count = len(certs)
        batch.status = CertificateBatch.DONE
    except Exception as exc:  # recorded for the administrator, then re-raised for the worker
        batch.status = CertificateBatch.FAILED
        batch.error = str(exc)[:2000]
        batch.finished_at = timezone.now()
        batch.save()
        raise
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def request_batch(user, *, format=CertificateBatch.ZIP, course=None, district=None, wave_id=None):
    """Create a batch and build it (in the background when large). Returns the batch."""
    from .tasks import build_batch_task

    batch = CertificateBatch.objects.create(
        requested_by=user, format=format, course=course, district=district, wave_id=wave_id
    )
    count = batch_queryset(user=user, course=course, district=district, wave_id=wave_id).count()
    if count > BACKGROUND_THRESHOLD:
        build_batch_task.enqueue(batch.pk)
        batch.refresh_from_db()
        return batch
    return build_batch(batch.pk)

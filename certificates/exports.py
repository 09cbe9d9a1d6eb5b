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
# (user_ids, course_ids). Certificates never look a wave up; the rollout registers its own.
_populations = {}


def register_population(name, func):
    _populations[name] = func


def population(name, pk):
    if name not in _populations:
        raise LookupError(f"no population {name!r} registered")
    return _populations[name](pk)


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

import ctypes.util
import http.server
import io
import threading
import time

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from certificates import issue, rendering
from certificates.exports import request_batch
from certificates.models import CertificateBatch
from tests.certificates.conftest import add_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _pdf_bytes(cert):
    with cert.pdf.open("rb") as f:
        return f.read()


def _embedded_font_files(data):
    reader = PdfReader(io.BytesIO(data))
    found = []
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        for desc in font.get("/DescendantFonts", [font]):
            descriptor = desc.get_object()["/FontDescriptor"].get_object()
            keys = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            assert keys, f"font {font.get('/BaseFont')} not embedded"
            found.append((str(font["/BaseFont"]), keys[0]))
    return found


def _embedded_cmaps(data):
    """Unicode coverage of each embedded font program (FontFile2/FontFile3)."""
    reader = PdfReader(io.BytesIO(data))
    covered = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            for desc in font.get("/DescendantFonts", [font]):
                descriptor = desc.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        program = descriptor[key].get_object().get_data()
                        try:
                            tt = TTFont(io.BytesIO(program))
                            covered |= set(tt.getBestCmap() or {})
                        except Exception:  # noqa: S110  bare CFF: no cmap, checked via text
                            pass
    return covered


def test_pdf_content_and_fonts(course):
    user = make_user(full_name="王小明")
    cert = issue(user, course)
    data = _pdf_bytes(cert)
    reader = PdfReader(io.BytesIO(data))
    text = reader.pages[0].extract_text()
    assert "王小明" in text and cert.serial in text and "培训合格证书" in text
    assert "黄浦区" in text
    assert _embedded_font_files(data)  # every font embedded (objects are in object streams)
    assert len(data) < 100_000
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape


def test_bilingual(training_index):
    course = add_course(training_index, "IP777", language="bilingual")
    cert = issue(make_user(full_name="李四"), course)
    text = PdfReader(io.BytesIO(_pdf_bytes(cert))).pages[0].extract_text()
    assert "Certificate of Completion" in text and "培训合格证书" in text


def test_rare_characters_render(course):
    name = "王𠮷䶮"
    cert = issue(make_user(full_name=name), course)
    data = _pdf_bytes(cert)
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert name in text
    covered = _embedded_cmaps(data)
    if covered:  # TrueType-flavoured programs expose a cmap; CFF ones are checked via text
        assert {ord(c) for c in name} <= covered


def test_uncoverable_character_fails_clearly(course):
    user = make_user(full_name="王\U000f0001")  # private-use plane: no font has it
    with pytest.raises(rendering.CertificateRenderError, match="U\\+F0001"):
        issue(user, course)
    from certificates.models import SerialCounter

    assert not SerialCounter.objects.filter(last_number__gt=0).exists()  # no serial consumed


def test_harfbuzz_subset_in_use(course):
    """Fails if WeasyPrint would fall back to fontTools subsetting (~9 s per CJK render)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert ctypes.util.find_library("harfbuzz-subset")
    assert harfbuzz_subset is not None and harfbuzz.hb_version_atleast(4, 1, 0)
    cert = issue(make_user(full_name="王小明"), course)
    rendering.render_certificate(cert)  # warm
    started = time.monotonic()
    rendering.render_certificate(cert)
    assert time.monotonic() - started < 2


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802
        _Handler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_render_over_the_time_limit_fails_and_fetches_stop(monkeypatch):
    monkeypatch.setattr(rendering, "RENDER_TIME_LIMIT", 0)
    with pytest.raises(rendering.CertificateRenderError):
        rendering.renderer.render("<html><body><p>Test</p></body></html>", "latin")
    fetcher = rendering.SafeURLFetcher()
    fetcher.deadline = time.monotonic() - 1
    with pytest.raises(ValueError, match="time limit"):
        fetcher.fetch("data:text/plain,ok")


def test_url_fetcher_blocks_everything_but_our_assets():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        html = (
            '<html><head><link rel="attachment" href="file:///etc/passwd">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css"></head><body>'
            f'<img src="http://127.0.0.1:{port}/img.png"><img src="file:///etc/passwd">'
            "<p>Test</p></body></html>"
        )
        pdf = rendering.renderer.render(html, "latin")
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF")
    assert _Handler.hits == []
    assert b"root:x:0:0" not in pdf and b"/EmbeddedFile" not in pdf
    fetcher = rendering.SafeURLFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        fetcher.fetch(f"{rendering.STATIC_DIR.as_uri()}/../../../etc/passwd")
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


def test_district_zip_and_merged_pdf(training_index, client):
    import zipfile

    course = add_course(training_index, "IP201")
    hp = [make_user(district="HP") for _ in range(3)]
    pd = [make_user(district="PD") for _ in range(2)]
    for user in hp + pd:
        issue(user, course)
    admin = make_user("district_admin", district="HP")
    batch = request_batch(admin, format=CertificateBatch.ZIP)
    assert batch.status == CertificateBatch.DONE and batch.certificate_count == 3
    with batch.file.open("rb") as f:
        names = zipfile.ZipFile(io.BytesIO(f.read())).namelist()
    assert len(names) == 3 and all(n.startswith("HP/") for n in names)
    city = make_user("city_admin")
    merged = request_batch(city, format=CertificateBatch.MERGED, course=course)
    with merged.file.open("rb") as f:
        assert len(PdfReader(io.BytesIO(f.read())).pages) == 5
    client.force_login(city)
    response = client.get(f"/admin/certificate-batches/{merged.pk}/download/")
    assert response.status_code == 200
    client.force_login(admin)
    assert client.get(f"/admin/certificate-batches/{merged.pk}/download/").status_code == 404


def test_pdf_hours_as_the_pages_show_them(training_index):
    """ "学时 Hours 2", not "2.0": the same number as the credit_hours filter on the pages."""
    from courses.models import CoursePage

    course = add_course(training_index, "IP778", language="bilingual")
    CoursePage.objects.filter(pk=course.pk).update(hours="2.0")
    course.refresh_from_db()
    cert = issue(make_user(full_name="李四"), course)
    text = PdfReader(io.BytesIO(_pdf_bytes(cert))).pages[0].extract_text()
    assert "Hours" in text and "2.0" not in text, text


def test_pdf_prints_the_verification_url_and_code_as_text(course):
    """A photocopy whose QR code no longer scans can still be checked by hand (one page, and
    no network fetch while rendering: the fetcher refuses every URL but our own assets)."""
    cert = issue(make_user(full_name="王小明"), course)
    reader = PdfReader(io.BytesIO(_pdf_bytes(cert)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    flat = "".join(text.split())
    assert cert.verify_url in flat, text
    assert "验证码" in text and cert.verification_code in flat

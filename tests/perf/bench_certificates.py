"""Certificate PDF speed and size, against the same template in Latin text with DejaVu."""

import gc
import resource
import statistics
import time

from certificates import rendering
from certificates.models import DEFAULT_WORDING

VERIFY = "http://127.0.0.1:8000/verify/{:022d}/"
WORDING_ZH = {**DEFAULT_WORDING, "city_name_zh": "上海市", "city_name_en": "Shanghai"}
WORDING_LATIN = {
    "issuing_body": "Shanghai Intellectual Property Administration",
    "title_zh": "Certificate of Completion",
    "title_en": "Certificate of Completion",
    "body_zh": "has completed the following training course for intellectual property "
    "public-service windows and passed the assessment.",
    "body_en": "",
    "signature_line": "(seal)",
}
NAMES = ["王小明", "李静", "欧阳建国", "张伟", "陈晓红", "刘洋", "黄浦", "周杰"]


def cjk(i):
    return rendering.CertificateContext(
        holder_name=NAMES[i % len(NAMES)],
        district_name="黄浦区",
        district_name_en="Huangpu",
        course_title="窗口人员专利检索基础",
        course_code="IP-101",
        hours="8",
        serial=f"2026-HP-{i:06d}",
        issued_on="2026年11月24日",
        expires_on="2028年11月24日",
        verify_url=VERIFY.format(i),
        wording=WORDING_ZH,
    )


def latin(i):
    return rendering.CertificateContext(
        holder_name="Wang Xiaoming",
        district_name="Huangpu District",
        district_name_en="Huangpu",
        course_title="Patent search basics for window staff",
        course_code="IP-101",
        hours="8",
        serial=f"2026-HP-{i:06d}",
        issued_on="24 November 2026",
        expires_on="24 November 2028",
        verify_url=VERIFY.format(i),
        wording=WORDING_LATIN,
        labels=rendering.LABELS_LATIN,
    )


def single(make, profile, n=30):
    rendering.render_pdf([make(0)], profile)  # warm: font configuration, stylesheet
    times, size = [], 0
    for i in range(n):
        started = time.perf_counter()
        pdf = rendering.render_pdf([make(i)], profile)
        times.append(time.perf_counter() - started)
        size = len(pdf)
    return statistics.median(times), size


def batch(make, n, chunk=100):
    started = time.perf_counter()
    for _pdf in rendering.render_many((make(i) for i in range(n)), chunk=chunk):
        pass
    return (time.perf_counter() - started) / n


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(record):
    ref_time, ref_size = single(latin, "latin")
    cjk_time, cjk_size = single(cjk, "cjk")
    record("cert_single_ms", cjk_time * 1000, ref_time * 1000, target=3, unit="ms")
    record(
        "cert_single_kb", cjk_size / 1024, ref_size / 1024, target=100, unit="KB", compare="value"
    )
    gc.collect()
    per_100 = batch(cjk, 100)
    rss_100 = peak_rss_mb()
    per_500 = batch(cjk, 500)
    rss_500 = peak_rss_mb()
    record("cert_batch100_per_cert_ms", per_100 * 1000, ref_time * 1000, target=1, unit="ms")
    record("cert_batch500_per_cert_ms", per_500 * 1000, ref_time * 1000, target=1, unit="ms")
    record("cert_batch_peak_rss_500_vs_100_mb", rss_500, rss_100, target=1.15, unit="MB")

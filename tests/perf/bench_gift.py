"""GIFT import speed (security hole 12): ``quizzes.importing.parse_bytes`` (decode, parse,
convert and sanitise every text, number duplicate names), the step that grew quadratically.

* ordinary GIFT: the shipped banks (content/) repeated to 1 MB, questions renamed per copy
  and a share left unnamed; target ≥ 1 MB/s (best of three runs, CPU time of this process:
  the build machines run several jobs at once and wall-clock figures swing twofold);
* linearity: time per byte at 1 MB against 256 KB (target ≤ 1.5×);
* hostile GIFT: 1 MB of questions each just under the caps (deep HTML and Markdown
  nesting, unclosed brackets, long emphasis runs, one name repeated): refused or parsed at
  ≥ 0.25 MB/s, so no file under the upload limit (5 MB) holds a request for long.

No database: ``python -m tests.perf.run gift``.
"""

import contextlib
import time
from pathlib import Path

from .run import ROOT

MB = 1024 * 1024


def ordinary_gift(size):
    banks = [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "content" / "courses").glob("*/questions.gift"))
    ]
    chunks, total, copy = [], 0, 0
    while total < size:
        for bank in banks:
            text = bank.replace("\n::", f"\n::R{copy}-")
            if copy % 3 == 0:  # a third of the copies unnamed: named after their text
                text = "\n".join(
                    line.split("::", 2)[2] if line.startswith("::") else line
                    for line in text.split("\n")
                )
            chunks.append(text)
            total += len(text.encode("utf-8"))
        copy += 1
    return "\n\n".join(chunks).encode("utf-8")[:size].rsplit(b"\n\n", 1)[0]


def hostile_gift(size):
    from quizzes.formats.base import MAX_HTML_DEPTH, MAX_MARKDOWN_BRACKETS
    from quizzes.formats.gift import MAX_QUESTION_CHARS

    room = MAX_QUESTION_CHARS - 100
    depth = MAX_HTML_DEPTH
    brackets = MAX_MARKDOWN_BRACKETS
    samples = [
        "[html]" + ("<div>" * depth + "深" + "</div>" * depth) * (room // (11 * depth)),
        "[html]" + "<b>" * (room // 3),
        "[markdown]" + ("[" * brackets + "x" + "](y)" * brackets + " ") * (room // 90),
        "[markdown]" + "[" * (room // 2),
        "[markdown]" + "*a " * (room // 3),
        "[markdown]" + "_a " * (room // 3),
        "[markdown]" + "> " * (room // 2) + "x",
        "[markdown]" + "`a " * (room // 3),
        "[moodle]" + "<p><b>x" * (room // 7),
    ]
    chunks, total, i = [], 0, 0
    while total < size:
        text = f"::同名::{samples[i % len(samples)]}{{=甲 ~乙}}"
        chunks.append(text)
        total += len(text.encode("utf-8")) + 2
        i += 1
    return "\n\n".join(chunks).encode("utf-8")


def best_time(data, runs=3):
    from quizzes.formats import FormatError
    from quizzes.importing import parse_bytes

    best = None
    for _run in range(runs):
        started = time.process_time()
        with contextlib.suppress(FormatError):
            parse_bytes(data, "gift")
        elapsed = time.process_time() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def run(record):
    from django.test import override_settings

    assert Path(ROOT / "content").is_dir()
    with override_settings(MAX_IMPORT_UPLOAD_SIZE=5 * MB):
        big, small = ordinary_gift(MB), ordinary_gift(MB // 4)
        t_big, t_small = best_time(big), best_time(small, runs=5)
        hostile = hostile_gift(MB)
        t_hostile = best_time(hostile, runs=1)
    rate = len(big) / MB / t_big
    print(
        f"  ordinary GIFT: {len(big) / MB:.2f} MB in {t_big:.3f} s ({rate:.2f} MB/s), "
        f"{len(small) / MB:.2f} MB in {t_small:.3f} s; hostile {len(hostile) / MB:.2f} MB in "
        f"{t_hostile:.3f} s",
        flush=True,
    )
    record("gift_parse_ordinary_mb_per_s", rate, target=1.0, unit="MB/s", compare="value",
           higher_is_better=True)  # fmt: skip
    record("gift_parse_time_per_byte_1mb_vs_256kb", t_big / len(big), t_small / len(small),
           target=1.5)  # fmt: skip
    record("gift_parse_hostile_mb_per_s", len(hostile) / MB / t_hostile, target=0.25,
           unit="MB/s", compare="value", higher_is_better=True)  # fmt: skip

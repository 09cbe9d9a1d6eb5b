"""Item statistics and score distribution of a quiz, as Moodle's quiz statistics report
computes them (docs.moodle.org "Quiz statistics calculations"), over graded attempts: all of
them, or each learner's first attempt only (``attempts="first"``).

For question i, x_i is the mark earned on it (fraction × its mark), T the attempt's total
mark and X_i = T − x_i the rest of the test, over the attempts in which i appeared:

* facility = mean(x_i) / max mark (the share of the marks earned), as a percentage;
* standard deviation = SD(x_i) / max mark (n − 1 in the denominator), as a percentage;
* random guess score = the score a random answer expects (single choice: mean of the
  options' fractions; true/false: 50 %; matching: 1 / number of answers; others 0);
* intended weight = the question's mark / the sum of the marks; effective weight =
  √Cov(x_i, T) / Σ_j √Cov(x_j, T) (empty when a covariance is negative);
* discrimination index = 100 × Corr(x_i, X_i), the item–rest correlation (Moodle: above 30 %
  good, below 0 bad);
* discriminative efficiency = 100 × Cov(x_i, X_i) / Cov_max(x_i, X_i), Cov_max pairing the
  sorted x_i with the sorted X_i (the highest covariance these values allow);
* per-choice analysis: how many responses chose each option (choice questions).

The score distribution counts attempts in ten bands 0–9, 10–19, …, 90–100.
"""

import math
from collections import Counter, defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lms.formats.numbers import percent

from .formats.base import html_to_text
from .models import Attempt, Choice, Question, Response
from .results import counted_attempts

ALL, FIRST = "all", "first"


def _mean(values):
    return sum(values) / len(values) if values else None


def _cov(xs, ys):
    n = len(xs)
    if n < 2:
        return None
    mx, my = _mean(xs), _mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)


def _pct(value, digits=2):
    """A share of 1 as a percentage (a float), rounded as everywhere (``percent``)."""
    return None if value is None else float(percent(value, 1, digits))


def random_guess_score(question, choices) -> float | None:
    """Moodle's random guess score of a question, as a fraction (None: not defined)."""
    if question.qtype == Question.MULTICHOICE:
        return _mean([float(c.fraction) for c in choices]) if choices else None
    if question.qtype == Question.TRUEFALSE:
        return 0.5
    if question.qtype == Question.MATCHING:
        answers = {c.match for c in choices if c.match}
        return 1 / len(answers) if answers else None
    if question.qtype == Question.MULTIRESPONSE:
        return None
    return 0.0


def item_statistics(quiz, attempts: str = ALL):
    graded = counted_attempts().filter(quiz=quiz, status=Attempt.GRADED)
    if attempts == FIRST:
        graded = graded.filter(number=1)
    rows = list(graded.order_by("score", "pk").values_list("pk", "score"))
    n = len(rows)
    if not n:
        return {
            "attempts": 0,
            "items": [],
            "distribution": score_distribution([]),
            "mean": None,
            "filter": attempts,
        }
    attempt_ids = [pk for pk, _score in rows]

    marks = defaultdict(dict)  # question -> attempt -> mark earned
    answers = defaultdict(list)  # question -> stored answers
    for attempt_id, question_id, fraction, answer in (
        Response.objects.filter(attempt_id__in=attempt_ids)
        .exclude(question__qtype=Question.DESCRIPTION)
        .values_list("attempt_id", "question_id", "fraction", "answer")
    ):
        marks[question_id][attempt_id] = float(fraction or 0)
        answers[question_id].append(answer or {})
    questions = {q.pk: q for q in Question.objects.filter(pk__in=list(marks))}
    choices = defaultdict(list)
    for choice in Choice.objects.filter(question_id__in=list(marks)).order_by("sort_order", "pk"):
        choices[choice.question_id].append(choice)

    # fractions -> marks, and each attempt's total
    totals = defaultdict(float)
    for question_id, per_attempt in marks.items():
        mark = float(questions[question_id].default_mark or 1)
        for attempt_id in per_attempt:
            per_attempt[attempt_id] *= mark
            totals[attempt_id] += per_attempt[attempt_id]
    mark_sum = sum(float(q.default_mark or 1) for q in questions.values()) or 1

    items = []
    for question_id, per_attempt in marks.items():
        question = questions[question_id]
        max_mark = float(question.default_mark or 1)
        ids = list(per_attempt)
        xs = [per_attempt[a] for a in ids]
        ts = [totals[a] for a in ids]
        rest = [t - x for t, x in zip(ts, xs, strict=True)]
        facility = _mean(xs) / max_mark
        variance = _cov(xs, xs)
        cov_rest = _cov(xs, rest)
        var_rest = _cov(rest, rest)
        discrimination = None
        if cov_rest is not None and variance and var_rest:
            discrimination = cov_rest / math.sqrt(variance * var_rest)
        cov_max = _cov(sorted(xs), sorted(rest))
        efficiency = cov_rest / cov_max if cov_rest is not None and cov_max else None
        guess = random_guess_score(question, choices[question_id])
        items.append(
            {
                "question_id": question_id,
                "name": question.name,
                "qtype": question.get_qtype_display(),
                "count": len(xs),
                "facility": round(facility, 4),
                "facility_percent": _pct(facility),
                "sd_percent": None if variance is None else _pct(math.sqrt(variance) / max_mark),
                "random_guess_percent": _pct(guess),
                "intended_weight": _pct(max_mark / mark_sum),
                "cov_total": _cov(xs, ts),
                "discrimination": None if discrimination is None else round(discrimination, 4),
                "discrimination_index": _pct(discrimination),
                "discriminative_efficiency": _pct(efficiency),
                "choices": choice_analysis(question, choices[question_id], answers[question_id]),
            }
        )
    covs = [item["cov_total"] for item in items]
    valid = all(c is not None and c >= 0 for c in covs)
    root_sum = sum(math.sqrt(c) for c in covs) if valid else 0
    for item in items:
        cov = item.pop("cov_total")
        item["effective_weight"] = _pct(math.sqrt(cov) / root_sum) if valid and root_sum else None
    items.sort(key=lambda item: item["name"])
    scores = [score for _pk, score in rows]
    return {
        "attempts": n,
        "items": items,
        "distribution": score_distribution(scores),
        "mean": (sum(scores, Decimal(0)) / n).quantize(Decimal("0.01")),
        "filter": attempts,
    }


def choice_analysis(question, choices, answers) -> list[dict]:
    """How many responses chose each option (single/multiple choice, true/false)."""
    if question.qtype == Question.TRUEFALSE:
        counts = Counter(a.get("value") for a in answers)
        total = len(answers) or 1
        return [
            {
                "text": label,
                "fraction": 1.0 if question.correct_truefalse is value else 0.0,
                "count": counts[value],
                "percent": float(percent(counts[value], total, 1)),
            }
            for label, value in ((_("对"), True), (_("错"), False))
        ]
    if question.qtype not in (Question.MULTICHOICE, Question.MULTIRESPONSE):
        return []
    counts = Counter()
    for answer in answers:
        chosen = set(answer.get("choices") or []) | {answer.get("choice")}
        counts.update(pk for pk in chosen if pk is not None)
    total = len(answers) or 1
    return [
        {
            "text": choice.text,
            "fraction": float(choice.fraction),
            "count": counts[choice.pk],
            "percent": float(percent(counts[choice.pk], total, 1)),
        }
        for choice in choices
    ]


#: The item sheet's columns; labels translated when the sheet is written.
COLUMNS = [
    ("name", gettext_noop("题目")),
    ("qtype", gettext_noop("题型")),
    ("count", gettext_noop("作答数")),
    ("facility_percent", gettext_noop("难度（通过率 %）")),
    ("sd_percent", gettext_noop("标准差 %")),
    ("random_guess_percent", gettext_noop("随机猜测得分 %")),
    ("intended_weight", gettext_noop("预期权重 %")),
    ("effective_weight", gettext_noop("实际权重 %")),
    ("discrimination_index", gettext_noop("区分度指数 %")),
    ("discriminative_efficiency", gettext_noop("区分效率 %")),
]
#: The choice sheet's header.
CHOICE_COLUMNS = (
    gettext_noop("题目"),
    gettext_noop("选项"),
    gettext_noop("得分比例 %"),
    gettext_noop("选择次数"),
    gettext_noop("占比 %"),
)


def statistics_xlsx(quiz, stats) -> bytes:
    """The item statistics as an XLSX workbook: one sheet of items, one of choice counts.
    Cells are typed as strings or numbers explicitly (no formula from a question name)."""
    from io import BytesIO

    from openpyxl import Workbook

    from lms.organisation.spreadsheets import string_cell as cell  # never a formula

    workbook = Workbook(write_only=True)

    items = workbook.create_sheet(_("题目统计"))
    items.append([cell(items, _(label)) for _key, label in COLUMNS])
    for item in stats["items"]:
        items.append([cell(items, item[key]) for key, _label in COLUMNS])
    analysis = workbook.create_sheet(_("选项分析"))
    analysis.append([cell(analysis, _(h)) for h in CHOICE_COLUMNS])
    for item in stats["items"]:
        for row in item["choices"]:
            analysis.append(
                [
                    cell(analysis, item["name"]),
                    cell(analysis, html_to_text(row["text"])),
                    cell(analysis, round(row["fraction"] * 100, 2)),
                    cell(analysis, row["count"]),
                    cell(analysis, row["percent"]),
                ]
            )
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def score_distribution(scores):
    bands = [0] * 10
    for score in scores:
        bands[min(9, int(Decimal(score) // 10))] += 1
    peak = max(bands) or 1
    return [
        {
            "label": f"{i * 10}–{i * 10 + 9 if i < 9 else 100}",
            "count": count,
            "percent": round(count * 100 / peak),
        }
        for i, count in enumerate(bands)
    ]

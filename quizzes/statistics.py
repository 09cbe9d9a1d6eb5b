"""Item statistics and score distribution of a quiz, over its graded attempts.

* facility (难度/通过率) of a question = the mean fraction earned on it (for right/wrong
  questions, the share of attempts that answered it correctly);
* discrimination index = facility in the upper 27% of attempts (by total score) minus
  facility in the lower 27% (Kelley's groups; at least one attempt per group). It lies in
  [-1, 1]; items below 0.2 discriminate poorly. Only attempts in which the question appeared
  count, and groups are formed over all graded attempts of the quiz;
* the score distribution counts graded attempts in ten bands 0–9, 10–19, …, 90–100.
"""

import math
from collections import defaultdict
from decimal import Decimal

from .models import Attempt, Response

GROUP_SHARE = 0.27


def item_statistics(quiz):
    attempts = list(
        Attempt.objects.filter(quiz=quiz, status=Attempt.GRADED)
        .order_by("score", "pk")
        .values_list("pk", "score")
    )
    n = len(attempts)
    if not n:
        return {"attempts": 0, "items": [], "distribution": score_distribution([]), "mean": None}
    size = max(1, math.ceil(n * GROUP_SHARE)) if n >= 2 else 0
    lower = {pk for pk, _score in attempts[:size]}
    upper = {pk for pk, _score in attempts[n - size :]} if size else set()

    per_question = defaultdict(list)
    names = {}
    for attempt_id, question_id, name, fraction in (
        Response.objects.filter(attempt__quiz=quiz, attempt__status=Attempt.GRADED)
        .exclude(question__qtype="description")
        .values_list("attempt_id", "question_id", "question__name", "fraction")
    ):
        names[question_id] = name
        per_question[question_id].append((attempt_id, float(fraction or 0)))

    def mean(values):
        return sum(values) / len(values) if values else None

    items = []
    for question_id, rows in per_question.items():
        facility = mean([f for _a, f in rows])
        up = mean([f for a, f in rows if a in upper])
        low = mean([f for a, f in rows if a in lower])
        discrimination = up - low if up is not None and low is not None else None
        items.append(
            {
                "question_id": question_id,
                "name": names[question_id],
                "count": len(rows),
                "facility": round(facility, 4),
                "discrimination": None if discrimination is None else round(discrimination, 4),
                "facility_percent": round(facility * 100),
            }
        )
    items.sort(key=lambda item: item["name"])
    scores = [score for _pk, score in attempts]
    return {
        "attempts": n,
        "group_size": size,
        "items": items,
        "distribution": score_distribution(scores),
        "mean": (sum(scores, Decimal(0)) / n).quantize(Decimal("0.01")),
    }


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

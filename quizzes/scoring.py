"""Scoring of one response, as Moodle scores each GIFT question type.

``grade_response(question, choices, answer)`` returns the fraction of the mark earned,
a ``Decimal`` in [0, 1], or ``None`` when a person must mark it (essay). Description items
are not scored (``score_question`` callers skip them: ``question.is_scored`` is false).

Rules
-----
* multichoice (one answer): the chosen answer's fraction; negative fractions count as 0.
* multiresponse (check all that apply): Moodle's rule: the SUM of the chosen answers'
  fractions, clamped to [0, 1]. Wrong answers with a negative weight subtract, so ticking
  everything never earns full marks.
* truefalse: 1 if the chosen value is the correct one, else 0.
* shortanswer: the best fraction among the patterns the text matches (``*`` is a wildcard;
  case-insensitive unless the question is case sensitive).
* numerical: the best fraction among the alternatives whose ``value ± tolerance`` (ranges
  are stored as their midpoint ± half width) contains the number; the ``*`` catch-all (no
  value) matches any number. Text that is not a number scores 0.
* matching: the share of sub-questions given their correct answer.
* essay: ``None`` (pending until a trainer marks it).
"""

from decimal import Decimal

from .formats import match_shortanswer
from .formats.base import parse_number

ZERO = Decimal(0)
ONE = Decimal(1)
# Moodle accepts numbers a hair outside the tolerance because of float rounding.
_EPSILON = 1e-9


def clamp(value):
    return max(ZERO, min(ONE, Decimal(value)))


def _choice_ids(answer, key):
    value = (answer or {}).get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    out = []
    for item in value:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            continue
    return out


def parse_learner_number(text):
    """A learner's number: accepts full-width digits and a decimal comma."""
    if text is None:
        return None
    text = str(text).strip()
    text = text.translate(str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")).replace(
        ",", "."
    )
    return parse_number(text)


def grade_response(question, choices, answer):
    qtype = question.qtype
    if qtype == "description":
        return None
    if qtype == "essay":
        return None
    answer = answer if isinstance(answer, dict) else {}
    by_id = {choice.pk: choice for choice in choices}

    if qtype == "multichoice":
        ids = _choice_ids(answer, "choice")
        if not ids or ids[0] not in by_id:
            return ZERO
        return clamp(by_id[ids[0]].fraction)

    if qtype == "multiresponse":
        chosen = {pk for pk in _choice_ids(answer, "choices") if pk in by_id}
        return clamp(sum((Decimal(by_id[pk].fraction) for pk in chosen), ZERO))

    if qtype == "truefalse":
        value = answer.get("value")
        if value is None or question.correct_truefalse is None:
            return ZERO
        return ONE if bool(value) == question.correct_truefalse else ZERO

    if qtype == "shortanswer":
        text = str(answer.get("text") or "")
        if not text.strip():
            return ZERO
        best = ZERO
        for choice in choices:
            if match_shortanswer(choice.text, text, question.case_sensitive):
                best = max(best, Decimal(choice.fraction))
        return clamp(best)

    if qtype == "numerical":
        number = parse_learner_number(answer.get("text"))
        if number is None:
            return ZERO
        best = ZERO
        for choice in choices:
            if choice.value is None or abs(number - choice.value) <= choice.tolerance + _EPSILON:
                best = max(best, Decimal(choice.fraction))
        return clamp(best)

    if qtype == "matching":
        subquestions = [choice for choice in choices if choice.text]
        if not subquestions:
            return ZERO
        pairs = answer.get("pairs") or {}
        right = sum(1 for choice in subquestions if pairs.get(str(choice.pk)) == choice.match)
        return clamp(Decimal(right) / Decimal(len(subquestions)))

    return ZERO


def is_correct(fraction):
    return fraction is not None and fraction >= ONE


def attempt_score(rows):
    """``rows``: iterable of ``(mark, fraction)`` for the scored questions of an attempt.

    Returns a percentage Decimal (2 places), or ``None`` if any fraction is still pending.
    """
    total = ZERO
    earned = ZERO
    for mark, fraction in rows:
        if fraction is None:
            return None
        total += Decimal(mark)
        earned += Decimal(mark) * Decimal(fraction)
    if total == 0:
        return Decimal("100.00")
    return (earned * 100 / total).quantize(Decimal("0.01"))


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


def numerical_key(choice) -> str:
    """A numerical answer as people read it (the review's and the preview's key): "20 ± 0.5",
    "20", or the catch-all's text ("*", any number). From ``value`` and ``tolerance``, which
    scoring uses: a question written in the admin has no answer text (only imported ones
    keep their GIFT specification, "20:0.5")."""
    if choice.value is None:
        return choice.text or "*"
    if choice.tolerance:
        return f"{_number(choice.value)} ± {_number(choice.tolerance)}"
    return _number(choice.value)


def answer_key_text(question, choices) -> str:
    """The key of a short-answer or numerical question as shown to people (the learner's review
    and the admin preview): its best-scoring answer, a numerical one as ``numerical_key``; a
    numerical catch-all (no value) is never the key. "" when there is none."""
    candidates = [
        c
        for c in choices
        if c.fraction > 0 and (question.qtype == "shortanswer" or c.value is not None)
    ]
    best = max(candidates, key=lambda c: c.fraction, default=None)
    if best is None:
        return ""
    return numerical_key(best) if question.qtype == "numerical" else best.text

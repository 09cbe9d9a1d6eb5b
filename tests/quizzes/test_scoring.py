"""Scoring of every question type, as Moodle scores it (no database)."""

from decimal import Decimal

import pytest

from quizzes.models import Choice, Question
from quizzes.scoring import attempt_score, grade_response


def q(qtype, **kwargs):
    return Question(qtype=qtype, name="x", text="x", **kwargs)


def choices(*specs):
    out = []
    for pk, spec in enumerate(specs, start=1):
        out.append(Choice(pk=pk, **spec))
    return out


def test_multichoice_takes_chosen_fraction():
    cs = choices({"fraction": 1}, {"fraction": Decimal("0.5")}, {"fraction": -1})
    assert grade_response(q("multichoice"), cs, {"choice": 1}) == 1
    assert grade_response(q("multichoice"), cs, {"choice": 2}) == Decimal("0.5")
    assert grade_response(q("multichoice"), cs, {"choice": 3}) == 0  # clamped
    assert grade_response(q("multichoice"), cs, {"choice": 99}) == 0
    assert grade_response(q("multichoice"), cs, None) == 0


def test_multiresponse_partial_credit_with_negative_weights():
    cs = choices(
        {"fraction": Decimal("0.5")},
        {"fraction": Decimal("0.5")},
        {"fraction": Decimal("-0.5")},
        {"fraction": Decimal("-0.5")},
    )
    mr = q("multiresponse")
    assert grade_response(mr, cs, {"choices": [1, 2]}) == 1
    assert grade_response(mr, cs, {"choices": [1]}) == Decimal("0.5")
    assert grade_response(mr, cs, {"choices": [1, 2, 3]}) == Decimal("0.5")
    assert grade_response(mr, cs, {"choices": [1, 2, 3, 4]}) == 0  # everything ticked
    assert grade_response(mr, cs, {"choices": [1, 3, 4]}) == 0  # clamped at 0
    assert grade_response(mr, cs, {"choices": []}) == 0


def test_truefalse():
    tf = q("truefalse", correct_truefalse=False)
    assert grade_response(tf, [], {"value": False}) == 1
    assert grade_response(tf, [], {"value": True}) == 0
    assert grade_response(tf, [], {}) == 0


@pytest.mark.parametrize(
    "text, expected",
    [("Trademark", 1), ("  trade   MARK ", 1), ("trademarks", 0), ("tm", Decimal("0.5")), ("", 0)],
)
def test_shortanswer_case_insensitive_and_best_match(text, expected):
    cs = choices(
        {"text": "trademark", "fraction": 1},
        {"text": "trade mark", "fraction": 1},
        {"text": "t*", "fraction": Decimal("0.5")},
    )
    # "trademarks" matches only the wildcard pattern t*; "tm" too.
    if text == "trademarks":
        expected = Decimal("0.5")
    assert grade_response(q("shortanswer"), cs, {"text": text}) == expected


def test_shortanswer_case_sensitive():
    cs = choices({"text": "ABC", "fraction": 1})
    assert grade_response(q("shortanswer", case_sensitive=True), cs, {"text": "abc"}) == 0
    assert grade_response(q("shortanswer", case_sensitive=True), cs, {"text": "ABC"}) == 1


def test_numerical_tolerance_range_and_weighted_alternatives():
    cs = choices(
        {"text": "1822:2", "value": 1822.0, "tolerance": 2.0, "fraction": 1},
        {"text": "1800..1900", "value": 1850.0, "tolerance": 50.0, "fraction": Decimal("0.5")},
        {"text": "*", "value": None, "tolerance": 0, "fraction": Decimal("0.1")},
    )
    num = q("numerical")
    assert grade_response(num, cs, {"text": "1822"}) == 1
    assert grade_response(num, cs, {"text": "1824"}) == 1  # edge of tolerance
    assert grade_response(num, cs, {"text": "1824.5"}) == Decimal("0.5")  # inside range only
    assert grade_response(num, cs, {"text": "1900"}) == Decimal("0.5")  # range edge
    assert grade_response(num, cs, {"text": "2000"}) == Decimal("0.1")  # catch-all
    assert grade_response(num, cs, {"text": "１８２２"}) == 1  # full-width digits
    assert grade_response(num, cs, {"text": "abc"}) == 0


def test_matching_share_of_subquestions():
    cs = choices(
        {"text": "专利", "match": "国知局", "fraction": 1},
        {"text": "著作权", "match": "版权局", "fraction": 1},
        {"text": "商标", "match": "商标局", "fraction": 1},
        {"text": "", "match": "工商局", "fraction": 0},
    )
    m = q("matching")
    assert grade_response(m, cs, {"pairs": {"1": "国知局", "2": "版权局", "3": "商标局"}}) == 1
    assert grade_response(m, cs, {"pairs": {"1": "国知局", "2": "工商局"}}) == Decimal(1) / 3
    assert grade_response(m, cs, {}) == 0


def test_essay_pending_and_description_unscored():
    assert grade_response(q("essay"), [], {"text": "x"}) is None
    assert grade_response(q("description"), [], None) is None


def test_attempt_score_weights_and_pending():
    assert attempt_score([(1, Decimal(1)), (1, Decimal(0)), (2, Decimal("0.5"))]) == Decimal(
        "50.00"
    )
    assert attempt_score([(1, Decimal(1)), (1, None)]) is None

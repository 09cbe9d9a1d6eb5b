"""Per-attempt opaque option tokens: what the learner's browser sees instead of database ids.

Choices are created in file order, so their primary keys follow the author's order (in the
shipped banks the right answer came first and had the lowest id). The attempt page, the
autosave JSON and the check/submit forms therefore never carry a ``Choice`` pk: each option
(multiple choice, multiple response) and each matching sub-question is named by a token,
an HMAC of the attempt (its pk and secret seed) and the choice under ``SECRET_KEY``. Tokens

* differ from attempt to attempt (a token copied from another attempt or another learner
  names nothing here and is rejected);
* cannot be forged or ordered meaningfully: their order is a keyed pseudo-random
  permutation, independent of the choices' ids and of correctness.

Stored answers keep choice pks (scoring, statistics and marking are unchanged): the views
translate tokens to pks with :func:`answer_to_internal` before anything is saved, and the
paper shows tokens with :func:`choice_token`.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac

_SALT = "quizzes.tokens.choice"
TOKEN_LENGTH = 16


class InvalidToken(ValueError):
    """The submitted data names an option that is not part of this question of this attempt."""


def choice_token(attempt, choice_pk: int) -> str:
    """The opaque token of ``choice_pk`` in ``attempt`` (hex, 64 bits)."""
    value = f"{attempt.pk}:{attempt.seed}:{choice_pk}"
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()[:TOKEN_LENGTH]


def token_map(attempt, choice_ids) -> dict[str, int]:
    """``{token: choice pk}`` for the choices of one response."""
    return {choice_token(attempt, pk): pk for pk in choice_ids}


def _lookup(tokens: dict[str, int], raw) -> int:
    if not isinstance(raw, str) or raw not in tokens:
        raise InvalidToken("unknown option token")
    return tokens[raw]


def answer_to_internal(attempt, qtype: str, choice_ids, data):
    """Translate submitted data carrying tokens into the stored form carrying choice pks.

    Raises :class:`InvalidToken` for any token that does not belong to this question of this
    attempt (a tampered value, a database id, a token from another attempt). Data of
    question types without options is returned unchanged.
    """
    if not isinstance(data, dict) or qtype not in ("multichoice", "multiresponse", "matching"):
        return data
    tokens = token_map(attempt, choice_ids)
    if qtype == "multichoice":
        raw = data.get("choice")
        if raw in (None, ""):
            return {"choice": None}
        return {"choice": _lookup(tokens, raw)}
    if qtype == "multiresponse":
        raw = data.get("choices") or []
        if not isinstance(raw, list):
            raw = [raw]
        return {"choices": [_lookup(tokens, item) for item in raw]}
    raw = data.get("pairs") or {}
    if not isinstance(raw, dict):
        raise InvalidToken("pairs")
    return {"pairs": {str(_lookup(tokens, key)): value for key, value in raw.items()}}


def decoder(attempt):
    """A ``decode(response, data)`` callable for :func:`quizzes.attempts.save_answer`."""

    def decode(response, data):
        # The type the paper showed (the response's question version), not today's.
        version = response.version if response.version_id else None
        qtype = version.content["qtype"] if version is not None else response.question.qtype
        return answer_to_internal(attempt, qtype, response.choice_order, data)

    return decode

"""Question versions (Moodle's ``question_versions``): what a paper showed stays what it showed.

Every change of what a learner sees of a question or of how it is scored (stem, image,
explanation, feedback, type and its settings, mark, choices with their fractions, numbers and
tolerances, matching pairs, short-answer patterns) gives the question a new immutable
:class:`~quizzes.models.QuestionVersion`. Versions are recorded

* when a question is saved in the admin (with its author), imported or loaded from the
  curriculum (:func:`record_version`);
* at the latest when a paper is drawn (:func:`current_versions`), so an edit made any other
  way (a shell, a data fix) is versioned before anyone sees it.

A paper's ``Response.version`` is the version it showed; ``Response.graded_version`` the
version whose key scored it (the same until a regrade, ``quizzes.regrading``). Review and
scoring read the response's versions through :class:`VersionedQuestion`, never the live
question, so editing a question never changes an old attempt. A snapshot keeps the choices'
ids: stored answers and the per-attempt option tokens (``quizzes.tokens``) name choices by id.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db import IntegrityError, transaction

#: Question fields a learner sees or scoring reads, in the snapshot.
QUESTION_FIELDS = (
    "qtype",
    "name",
    "text",
    "explanation",
    "missing_word",
    "correct_truefalse",
    "true_feedback",
    "false_feedback",
    "case_sensitive",
)
CHOICE_TYPES = ("multichoice", "multiresponse", "matching")


def _number(value):
    return None if value is None else str(Decimal(str(value)).normalize())


def snapshot(question, choices) -> dict:
    """The versioned content of ``question`` with its ``choices`` (any objects with the
    model's attributes: also historical models in migrations)."""
    content = {field: getattr(question, field) for field in QUESTION_FIELDS}
    content["image_id"] = question.image_id
    content["default_mark"] = _number(question.default_mark)
    ordered = sorted(choices, key=lambda c: (c.sort_order if c.sort_order is not None else 0, c.pk))
    content["choices"] = [
        {
            "id": c.pk,
            "text": c.text,
            "fraction": _number(c.fraction),
            "feedback": c.feedback,
            "value": c.value,
            "tolerance": c.tolerance,
            "match": c.match,
        }
        for c in ordered
    ]
    return content


def key_of(content: dict) -> dict:
    """What scoring reads of a snapshot (``quizzes.scoring.grade_response`` and the mark)."""
    qtype = content["qtype"]
    return {
        "qtype": qtype,
        "default_mark": content["default_mark"],
        "correct_truefalse": content["correct_truefalse"] if qtype == "truefalse" else None,
        "case_sensitive": content["case_sensitive"] if qtype == "shortanswer" else None,
        "choices": [
            {
                "id": c["id"],
                "fraction": c["fraction"],
                "value": c["value"],
                "tolerance": c["tolerance"],
                "match": c["match"],
                "text": c["text"] if qtype == "shortanswer" else bool(c["text"]),
            }
            for c in content["choices"]
        ],
    }


def digest(data) -> str:
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def latest_versions(question_ids) -> dict:
    """``{question id: its newest QuestionVersion}`` (one query)."""
    from .models import QuestionVersion

    out = {}
    for version in QuestionVersion.objects.filter(question_id__in=list(question_ids)).order_by(
        "question_id", "-number"
    ):
        out.setdefault(version.question_id, version)
    return out


def _create(question_id, content, latest, user=None):
    from .models import QuestionVersion

    number = (latest.number if latest else 0) + 1
    try:
        with transaction.atomic():
            return QuestionVersion.objects.create(
                question_id=question_id,
                number=number,
                content=content,
                content_hash=digest(content),
                key_hash=digest(key_of(content)),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        # A concurrent writer recorded this number first: the newest one is as good.
        return latest_versions([question_id])[question_id]


def record_version(question, choices=None, user=None):
    """The version of ``question`` as it is now: the newest one if its content is unchanged,
    else a new one (by ``user``). ``choices``: the question's choices if already loaded."""
    if choices is None:
        from .models import Choice

        # From the database, not a (possibly stale) prefetch cache of the question.
        choices = list(Choice.objects.filter(question_id=question.pk))
    content = snapshot(question, choices)
    latest = latest_versions([question.pk]).get(question.pk)
    if latest is not None and latest.content_hash == digest(content):
        return latest
    return _create(question.pk, content, latest, user)


def editor_state(question_id) -> str:
    """A fingerprint of everything the question editor can change of a question, as stored:
    its versioned content plus bank, category and rubric (two queries). Equal before and
    after a save = the save changed nothing."""
    from .models import Choice, Question

    question = Question.objects.get(pk=question_id)
    content = snapshot(question, list(Choice.objects.filter(question_id=question_id)))
    return digest(
        {
            "content": content,
            "bank": question.bank_id,
            "category": question.category_id,
            "rubric": question.rubric,
        }
    )


def current_versions(question_ids) -> dict:
    """``{question id: current QuestionVersion}`` for a new paper: versions are recorded for
    questions changed since their last version (three queries, plus one per new version)."""
    from .models import Question

    ids = list(question_ids)
    questions = Question.objects.filter(pk__in=ids).prefetch_related("choices")
    latest = latest_versions(ids)
    out = {}
    for question in questions:
        content = snapshot(question, question.choices.all())
        version = latest.get(question.pk)
        if version is None or version.content_hash != digest(content):
            version = _create(question.pk, content, version)
        out[question.pk] = version
    return out


# --------------------------------------------------------------------------- reading a version


class VersionedChoice:
    """A choice as a version shows it (``text``, ``feedback``, ``shown_match``) and as the
    scoring key has it (``fraction``, ``value``, ``tolerance``, ``match``)."""

    __slots__ = ("pk", "text", "feedback", "shown_match", "fraction", "value", "tolerance", "match")

    def __init__(self, shown: dict, key: dict | None):
        key = key or {}
        self.pk = shown["id"]
        self.text = shown.get("text") or ""
        self.feedback = shown.get("feedback") or ""
        self.shown_match = shown.get("match") or ""
        self.fraction = Decimal(key.get("fraction") or "0")
        self.value = key.get("value")
        self.tolerance = key.get("tolerance") or 0.0
        self.match = key.get("match") or ""

    @property
    def id(self):
        return self.pk


class VersionedQuestion:
    """A question as one response showed it (``shown``: a snapshot) scored by ``key`` (the
    snapshot of the version whose key applies; by default the shown one). Reads like a
    ``Question`` for templates, scoring (``quizzes.scoring.grade_response``) and review;
    ``category``, ``tags`` and ``bank`` come from the live question (where to read up)."""

    def __init__(self, question, shown: dict, key: dict | None = None, version=None):
        key = key if key is not None else shown
        self.live = question
        self.version = version
        self.pk = self.id = question.pk
        for field in QUESTION_FIELDS:
            setattr(self, field, shown.get(field))
        self.qtype = shown["qtype"]
        self.correct_truefalse = key.get("correct_truefalse")
        self.case_sensitive = bool(key.get("case_sensitive"))
        self.default_mark = Decimal(key.get("default_mark") or "0")
        self.image_id = shown.get("image_id")
        self.image = None  # set by attach_images
        key_choices = {c["id"]: c for c in key.get("choices") or []}
        if self.qtype in CHOICE_TYPES:
            # The options the learner saw, worth what the key says (an option the key no
            # longer has is worth nothing; one it added was never shown).
            self.choices = [VersionedChoice(c, key_choices.get(c["id"])) for c in shown["choices"]]
        else:
            # Patterns and numbers are not shown: the key's own.
            self.choices = [VersionedChoice(c, c) for c in key.get("choices") or []]

    def __getattr__(self, name):
        # category, category_id, bank, bank_id, tags, tag_values, topic…: the live question.
        return getattr(self.__dict__["live"], name)

    @property
    def is_scored(self):
        return self.qtype != "description"

    def get_qtype_display(self):
        from .models import Question

        return dict(Question.QTYPE_CHOICES).get(self.qtype, self.qtype)


def for_response(response, key_version=None) -> VersionedQuestion:
    """The question of ``response`` as its paper showed it, scored by its graded version (or
    ``key_version``). Needs ``question``, ``version`` and ``graded_version`` loaded
    (``select_related``); a response without a version (none exist after migration 0006)
    falls back to the live question."""
    question = response.question
    version = response.version
    if version is None:
        content = snapshot(question, question.choices.all())
        key = key_version or response.graded_version
        return VersionedQuestion(question, content, key.content if key else None)
    key = key_version or response.graded_version or version
    return VersionedQuestion(question, version.content, key.content, version=version)


def attach_images(questions) -> None:
    """Set ``image`` on versioned questions from their snapshots' image ids (one query, none
    without images). An image deleted since is left out."""
    ids = {q.image_id for q in questions if q.image_id}
    if not ids:
        return
    from wagtail.images import get_image_model

    images = get_image_model().objects.in_bulk(ids)
    for q in questions:
        if q.image_id:
            q.image = images.get(q.image_id)


RESPONSE_RELATED = ("question", "version", "graded_version")

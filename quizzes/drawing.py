"""Drawing a paper: stratified by topic, with exclusion groups, never a retired question.

A *topic* is a question's category (GIFT ``$CATEGORY``). Rules, in order:

* Retired questions (removed from their file) and descriptions are never drawn.
* With per-category draws (``QuizDraw`` rows, e.g. from ``quiz.draw`` in ``course.md``), each
  draw takes its count from its category.
* Otherwise, with ``questions_per_attempt`` set, the paper is *stratified*: every topic gets
  one question first (when the paper has room for all topics), the rest is shared out in
  proportion to the topics' sizes (largest remainder). So every topic of a course appears in
  every paper, however few questions it has.
* Without a paper size, every drawable question is used.
* Questions sharing an exclusion group (tag ``exclude:<group>``) are never in one paper: once
  one is drawn, the others are skipped. Topics with the fewest candidates draw first so that
  a group never starves a small topic.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from .models import Question, tag_values


@dataclass(frozen=True)
class Candidate:
    pk: int
    topic: int | None  # category id
    groups: frozenset[str]


def drawable(bank_id: int):
    """The questions of a bank that may appear in a new paper."""
    return (
        Question.objects.filter(bank_id=bank_id, retired_at__isnull=True)
        .exclude(qtype=Question.DESCRIPTION)
        .order_by("pk")
    )


def _candidates(bank_id: int) -> list[Candidate]:
    return [
        Candidate(pk, category_id, frozenset(tag_values(tags, "exclude")))
        for pk, category_id, tags in drawable(bank_id).values_list("pk", "category_id", "tags")
    ]


def allocate(sizes: dict, total: int) -> dict:
    """How many questions each topic gives to a paper of ``total``: one each first (when
    ``total`` allows), then the rest in proportion to size, largest remainder first; never
    more than a topic has. Deterministic (ties by topic order)."""
    topics = [t for t in sizes if sizes[t] > 0]
    counts = dict.fromkeys(topics, 0)
    total = min(total, sum(sizes[t] for t in topics))
    if not topics or total <= 0:
        return counts
    if total >= len(topics):
        for topic in topics:
            counts[topic] = 1
    else:  # fewer places than topics: the largest topics first
        for topic in sorted(topics, key=lambda t: -sizes[t])[:total]:
            counts[topic] = 1
        return counts
    while sum(counts.values()) < total:
        left = total - sum(counts.values())
        room = {t: sizes[t] - counts[t] for t in topics if sizes[t] > counts[t]}
        weight = sum(room.values())
        shares = {t: left * room[t] / weight for t in room}
        whole = {t: int(shares[t]) for t in room}
        if sum(whole.values()) == 0:
            best = max(room, key=lambda t: (shares[t], -topics.index(t)))
            counts[best] += 1
            continue
        for topic, extra in whole.items():
            counts[topic] += min(extra, room[topic])
    return counts


def _take(rng, candidates, count, used_groups, taken):
    free = [c for c in candidates if c.pk not in taken]
    rng.shuffle(free)
    picked = []
    for candidate in free:
        if len(picked) >= count:
            break
        if candidate.groups & used_groups:
            continue
        picked.append(candidate.pk)
        taken.add(candidate.pk)
        used_groups |= candidate.groups
    return picked


def draw_question_ids(quiz, rng: random.Random) -> list[int]:
    """Question ids for a new paper of ``quiz``, in paper order."""
    candidates = _candidates(quiz.bank_id)
    draws = list(quiz.draws.select_related("category").all())
    used_groups: set[str] = set()
    taken: set[int] = set()
    plan = []  # (candidates, count)
    if draws:
        for draw in draws:
            if draw.include_subcategories:
                ids = set(draw.category.descendant_ids())
            else:
                ids = {draw.category_id}
            plan.append(([c for c in candidates if c.topic in ids], draw.count))
    else:
        by_topic = defaultdict(list)
        for candidate in candidates:
            by_topic[candidate.topic].append(candidate)
        total = quiz.questions_per_attempt
        if total is None:
            counts = {topic: len(items) for topic, items in by_topic.items()}
        else:
            counts = allocate({t: len(items) for t, items in by_topic.items()}, total)
        plan = [(by_topic[topic], counts[topic]) for topic in by_topic if counts.get(topic)]
    picked: dict[int, list[int]] = {}
    # The smallest pools first: an exclusion group must not empty a small topic.
    for index in sorted(range(len(plan)), key=lambda i: len(plan[i][0])):
        pool, count = plan[index]
        picked[index] = _take(rng, pool, count, used_groups, taken)
    chosen = [pk for index in range(len(plan)) for pk in picked[index]]
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    elif not draws:
        chosen.sort()
    return chosen

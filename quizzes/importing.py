"""Import and export of question banks (GIFT, Aiken) and the course-loader extension.

``import_questions(bank, questions)`` writes parsed questions into a bank in one transaction:
a question is matched by (bank, name) and updated when it changed; new ones are created;
questions missing from the file are kept. Categories (``$CATEGORY: a/b``) become Category rows
with parents. ``export_bank(bank)`` writes the bank back as GIFT, so export → import gives the
same bank.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .formats import (
    FormatError,
    ParsedAnswer,
    ParsedQuestion,
    decode_upload,
    export_gift,
    inline_html,
    parse_aiken,
    parse_gift,
)
from .models import Category, Choice, Question, QuestionBank, Quiz, QuizDraw
from .rich_images import images_to_embeds, portable_html, question_image_losses
from .versions import record_version

logger = logging.getLogger(__name__)

PARSERS = {"gift": parse_gift, "aiken": parse_aiken}
ALLOWED_EXTENSIONS = {"gift": (".gift", ".txt"), "aiken": (".txt", ".aiken")}


@dataclass
class ImportResult:
    bank: QuestionBank
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)

    @property
    def total(self):
        return len(self.created) + len(self.updated) + len(self.unchanged)


def max_upload_size():
    return getattr(settings, "MAX_IMPORT_UPLOAD_SIZE", 5 * 1024 * 1024)


def check_upload(name, size, fmt):
    """Raise FormatError (line 0) for a file of the wrong type or size."""
    if fmt not in PARSERS:
        raise FormatError([(0, _("不支持的格式。"))])
    if not name.lower().endswith(ALLOWED_EXTENSIONS[fmt]):
        raise FormatError(
            [
                (
                    0,
                    _("文件类型不对：请上传 %(ext)s 文件。")
                    % {"ext": " / ".join(ALLOWED_EXTENSIONS[fmt])},
                )
            ]
        )
    if size > max_upload_size():
        raise FormatError(
            [(0, _("文件太大：不能超过 %(mb).1f MB。") % {"mb": max_upload_size() / 1024 / 1024})]
        )


def parse_bytes(data, fmt):
    """Decode and parse a file; raises FormatError listing every bad line."""
    if len(data) > max_upload_size():
        raise FormatError(
            [(0, _("文件太大：不能超过 %(mb).1f MB。") % {"mb": max_upload_size() / 1024 / 1024})]
        )
    questions = PARSERS[fmt](decode_upload(data))
    _check_questions(questions)
    return questions


def _field_limits():
    return {
        "name": Question._meta.get_field("name").max_length,
        "category": Category._meta.get_field("name").max_length,
        "path": Category._meta.get_field("path").max_length,
        "match": Choice._meta.get_field("match").max_length,
    }


def _length_errors(question, limits):
    """(line, message) for every value of ``question`` too long for its database column."""
    errors = []

    def too_long(what, value, limit):
        errors.append(
            (
                question.line,
                _("%(what)s太长：%(length)d 个字符，最多 %(limit)d 个。")
                % {"what": what, "length": len(value), "limit": limit},
            )
        )

    if len(question.name) > limits["name"]:
        too_long(_("题目名称"), question.name, limits["name"])
    path = "/".join(p.strip() for p in question.category.split("/") if p.strip())
    if len(path) > limits["path"]:
        too_long(_("分类路径"), path, limits["path"])
    for part in path.split("/"):
        if len(part) > limits["category"]:
            too_long(_("分类名称"), part, limits["category"])
            break
    for answer in question.answers:
        if len(answer.match or "") > limits["match"]:
            too_long(_("配对答案"), answer.match, limits["match"])
            break
    return errors


def number_duplicate_names(questions):
    """Give every question of a file a distinct name, in place, the way it reads.

    Moodle accepts several questions with the same name (an unnamed question is named after
    its text, and its own examples repeat texts); a bank here matches questions by name, so
    the second "Q" of a file becomes "Q (2)", the third "Q (3)" (skipping names the file
    already uses). The numbering depends only on the file, so importing it again updates the
    same questions, and an exported bank (distinct names) reads back unchanged.
    """
    limit = Question._meta.get_field("name").max_length
    taken = {question.name for question in questions}
    seen = set()
    next_number = {}  # name -> the next number to try (keeps this linear)
    for question in questions:
        name = question.name
        if name not in seen:
            seen.add(name)
            continue
        number = next_number.get(name, 2)
        while True:
            suffix = f" ({number})"
            candidate = name[: limit - len(suffix)].rstrip() + suffix
            number += 1
            if candidate not in taken:
                break
        next_number[name] = number
        question.name = candidate
        taken.add(candidate)
        seen.add(candidate)
    return questions


def library_images(questions):
    """In place: an ``<img>`` of this site's image library in a stem or an explanation becomes
    Wagtail's image embed (``quizzes.rich_images``), which the editor keeps; so an exported
    bank reads back with its images as they were."""
    for question in questions:
        question.text = images_to_embeds(question.text)
        question.general_feedback = images_to_embeds(question.general_feedback)
    return questions


def image_warnings(questions):
    """One translated line per image that the question editor would drop when a trainer
    saves the question ("第 3 行：…"), naming the question, where the image is and its URL."""
    warnings = []
    for question in questions:
        losses = question_image_losses(
            text=question.text,
            explanation=question.general_feedback,
            answers=[(a.text, a.feedback) for a in question.answers],
            html_answers=question.qtype in Question.HTML_CHOICE_TYPES,
            true_feedback=question.true_feedback,
            false_feedback=question.false_feedback,
        )
        for where, source in losses:
            warnings.append(
                (
                    question.line,
                    _(
                        "题目“%(name)s”%(where)s中的图片 %(image)s 在题目编辑器中保存时会丢失"
                        "（编辑器只保留图片库中的图片，且只在题干和解析中）。学员仍能看到它；"
                        "要在编辑器中修改这道题，请先把图片上传到图片库，再在题干或解析中插入。"
                    )
                    % {"name": question.name, "where": where, "image": source},
                )
            )
    return FormatError(warnings).messages()


def _check_questions(questions):
    """Number duplicate names; turn library images into embeds; reject values too long to
    store, naming each line."""
    number_duplicate_names(questions)
    library_images(questions)
    errors = []
    limits = _field_limits()
    for question in questions:
        errors.extend(_length_errors(question, limits))
    if errors:
        raise FormatError(errors)


# --------------------------------------------------------------------------- model <-> parsed


def _float(value):
    return float(value) if value is not None else None


def question_to_parsed(question, choices=None):
    choices = list(question.choices.all()) if choices is None else choices
    return ParsedQuestion(
        qtype=question.qtype,
        name=question.name,
        text=question.text,
        text_format=question.text_format,
        answers=[
            ParsedAnswer(
                text=choice.text,
                fraction=float(choice.fraction),
                feedback=choice.feedback,
                value=choice.value,
                tolerance=choice.tolerance,
                match=choice.match,
            )
            for choice in choices
        ],
        general_feedback=question.explanation,
        category=question.category.path if question.category_id else "",
        missing_word=question.missing_word,
        correct_truefalse=question.correct_truefalse,
        true_feedback=question.true_feedback,
        false_feedback=question.false_feedback,
        case_sensitive=question.case_sensitive,
        tags=list(question.tags or []),
    )


def _category_for(bank, path, cache):
    if not path:
        return None
    if path in cache:
        return cache[path]
    parent = None
    built = []
    for part in [p.strip() for p in path.split("/") if p.strip()]:
        built.append(part)
        key = "/".join(built)
        if key not in cache:
            cache[key], _created = Category.objects.get_or_create(
                bank=bank, path=key, defaults={"name": part, "parent": parent}
            )
        parent = cache[key]
    cache[path] = parent
    return parent


def _apply(question, parsed, category):
    question.qtype = parsed.qtype
    question.text = parsed.text
    question.text_format = parsed.text_format
    question.explanation = parsed.general_feedback
    question.category = category
    question.missing_word = parsed.missing_word
    question.correct_truefalse = parsed.correct_truefalse
    question.true_feedback = parsed.true_feedback
    question.false_feedback = parsed.false_feedback
    question.case_sensitive = parsed.case_sensitive
    question.tags = list(parsed.tags or [])


def _write_choices(question, answers, existing):
    keep = []
    for index, answer in enumerate(answers):
        choice = existing[index] if index < len(existing) else Choice(question=question)
        choice.sort_order = index
        choice.text = answer.text
        choice.fraction = Decimal(str(round(answer.fraction, 5)))
        choice.feedback = answer.feedback
        choice.value = answer.value
        choice.tolerance = answer.tolerance or 0.0
        choice.match = answer.match
        choice.save()
        keep.append(choice.pk)
    Choice.objects.filter(question=question).exclude(pk__in=keep).delete()


def import_questions(bank, questions, user=None, progress=None):
    """Write parsed questions into ``bank`` (a QuestionBank or a name) atomically.
    ``progress``, when given, is called as ``progress(done, total)`` every 50 questions."""
    from wagtail.log_actions import log

    _check_questions(questions)
    with transaction.atomic():
        if not isinstance(bank, QuestionBank):
            bank, _created = QuestionBank.objects.get_or_create(name=bank)
        result = ImportResult(bank=bank)
        existing = {
            q.name: q
            for q in Question.objects.filter(bank=bank)
            .select_related("category")
            .prefetch_related("choices")
        }
        cache = {c.path: c for c in Category.objects.filter(bank=bank)}
        for done, parsed in enumerate(questions):
            if progress is not None and done % 50 == 0:
                progress(done, len(questions))
            category = _category_for(bank, parsed.category.strip("/"), cache)
            question = existing.get(parsed.name)
            if question is None:
                question = Question(bank=bank, name=parsed.name)
                _apply(question, parsed, category)
                question.save()
                _write_choices(question, parsed.answers, [])
                record_version(question, user=user)
                result.created.append(question)
                continue
            choices = sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
            if question_to_parsed(question, choices) == _normalised(parsed):
                result.unchanged.append(question)
                continue
            _apply(question, parsed, category)
            question.save()
            _write_choices(question, parsed.answers, choices)
            record_version(question, user=user)
            result.updated.append(question)
        if user is not None and (result.created or result.updated):
            log(
                instance=bank,
                action="quizzes.import",
                user=user,
                data={"created": len(result.created), "updated": len(result.updated)},
            )
    return result


def _normalised(parsed):
    """The parsed question as it reads back from the database (rounded fractions)."""
    copy = ParsedQuestion(**{**parsed.__dict__})
    copy.category = parsed.category.strip("/")
    copy.answers = [
        ParsedAnswer(
            # Option and match texts and feedback are stored inline (Choice.save).
            text=inline_html(a.text) if parsed.qtype in Question.HTML_CHOICE_TYPES else a.text,
            fraction=float(Decimal(str(round(a.fraction, 5)))),
            feedback=inline_html(a.feedback) if a.feedback else a.feedback,
            value=a.value,
            tolerance=a.tolerance or 0.0,
            match=a.match,
        )
        for a in parsed.answers
    ]
    return copy


def bank_to_parsed(bank):
    questions = (
        Question.objects.filter(bank=bank)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__path", "pk")
    )
    return [
        question_to_parsed(q, sorted(q.choices.all(), key=lambda c: (c.sort_order or 0, c.pk)))
        for q in questions
    ]


def portable(question):
    """A parsed question as another system (Moodle) reads it: Wagtail's image embeds and page
    links written as ``<img src="…">`` / ``<a href="…">`` with absolute URLs."""
    question.text = portable_html(question.text)
    question.general_feedback = portable_html(question.general_feedback)
    question.true_feedback = portable_html(question.true_feedback)
    question.false_feedback = portable_html(question.false_feedback)
    for answer in question.answers:
        if question.qtype in Question.HTML_CHOICE_TYPES:
            answer.text = portable_html(answer.text)
        answer.feedback = portable_html(answer.feedback)
    return question


def export_bank(bank):
    """The bank as GIFT text (images as ``<img>`` with absolute URLs, which Moodle reads;
    importing the file here turns them back into the library's images)."""
    return export_gift(portable(question) for question in bank_to_parsed(bank))


# --------------------------------------------------------------------------- admin wizard

PREVIEW_ROWS_SHOWN = 1000
GIFT_TEMPLATE = """// 题库模板（Moodle GIFT）。每道题之间空一行；// 开头的行是注释。
$CATEGORY: 示例分类/知识产权基础

::单选示例:: 发明专利权的期限是自申请日起多少年？ {
=20 年 # 正确：《专利法》第四十二条。
~10 年 # 这是实用新型专利权的期限。
~15 年 # 这是外观设计专利权的期限。
}

::判断示例:: 商标注册申请可以通过网上服务系统提交。 {T}

::多选示例:: 以下哪些属于知识产权？ {
~%50%专利权
~%50%商标权
~%-100%物权
}

::填空示例:: 我国专利法规定的三种专利是发明、实用新型和{=外观设计}。
"""


def _preview(bank_name, questions, errors=(), warnings=()):
    """What the wizard shows before confirming: each question with what importing it does
    (new / changed / unchanged, matched by name in the bank)."""
    import html as html_lib
    import re

    existing = {}
    bank = QuestionBank.objects.filter(name=bank_name).first()
    if bank is not None:
        existing = {
            q.name: q
            for q in Question.objects.filter(bank=bank)
            .select_related("category")
            .prefetch_related("choices")
        }
    rows = []
    counts = {"questions": len(questions), "create": 0, "update": 0, "unchanged": 0}
    for parsed in questions:
        question = existing.get(parsed.name)
        if question is None:
            action = "create"
        else:
            choices = sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
            same = question_to_parsed(question, choices) == _normalised(parsed)
            action = "unchanged" if same else "update"
        counts[action] += 1
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", parsed.text or ""))
        rows.append(
            {
                "line": parsed.line,
                "name": parsed.name,
                "qtype": parsed.qtype,
                "category": parsed.category.strip("/"),
                "text": " ".join(text.split())[:80],
                "answers": len(parsed.answers),
                "action": action,
            }
        )
    counts["error"] = len(errors)
    return {
        "ok": not errors,
        "warnings": list(warnings)[:PREVIEW_ROWS_SHOWN],
        "bank": bank_name,
        "bank_exists": bank is not None,
        "counts": counts,
        "errors": list(errors)[:PREVIEW_ROWS_SHOWN],
        "rows": rows[:PREVIEW_ROWS_SHOWN],
        "truncated": len(rows) > PREVIEW_ROWS_SHOWN,
    }


def run_job(job, phase):
    """Handler of the ``question_import`` file job (lms.jobs): ``preview`` parses and checks
    the file and keeps the preview in the job; ``apply`` parses again and imports it."""
    from lms.jobs.models import FileJob

    bank_name, fmt = job.params["bank"], job.params["format"]
    job.start(step=_("读取并检查文件"))
    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        questions = parse_bytes(data, fmt)
    except FormatError as error:
        preview = _preview(bank_name, [], errors=error.messages())
        state = FileJob.State.READY if phase == "preview" else FileJob.State.FAILED
        job.finish(state=state, result={"preview": preview})
        return
    if phase == "preview":
        preview = _preview(bank_name, questions, warnings=image_warnings(questions))
        job.finish(state=FileJob.State.READY, result={"preview": preview})
        return
    job.report(0, len(questions), step=_("写入题库"))
    result = import_questions(
        bank_name,
        questions,
        user=job.requested_by,
        progress=lambda done, total: job.report(done, total),
    )
    summary = {
        "bank": result.bank.name,
        "created": len(result.created),
        "updated": len(result.updated),
        "unchanged": len(result.unchanged),
    }
    job.finish(result={**job.result, "applied": summary})
    job.delete_file()


# --------------------------------------------------------------------------- course loader


def _strict_bool(value):
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


QUIZ_FIELDS = {
    "title": str,
    "pass_mark": Decimal,
    "questions_per_attempt": int,
    "time_limit_minutes": int,
    "max_attempts": int,
    "cooldown_minutes": int,
    "show_answers": str,
    "hold_answer_key": _strict_bool,
}
QUIZ_KEYS = {*QUIZ_FIELDS, "draw"}


def _quiz_settings(front_matter, course_code):
    raw = (front_matter or {}).get("quiz") or {}
    if not isinstance(raw, dict):
        raise ValueError(_("course.md 的 quiz 设置必须是键值对。"))
    unknown = set(raw) - QUIZ_KEYS
    if unknown:
        raise ValueError(_("quiz 设置中有未知字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    values = {}
    for key, kind in QUIZ_FIELDS.items():
        if raw.get(key) is not None:
            try:
                values[key] = kind(str(raw[key]) if kind is Decimal else raw[key])
            except Exception:
                raise ValueError(_("quiz 设置 %(k)s 的值无效。") % {"k": key})
    if values.get("show_answers", "end") not in dict(Quiz.SHOW_ANSWERS_CHOICES):
        raise ValueError(_("quiz.show_answers 只能是 end、each 或 never。"))
    values.setdefault("title", _("%(code)s 结业测验") % {"code": course_code})
    return values


def draw_settings(front_matter):
    """``quiz.draw`` of course.md as ``{topic: count}`` (topic = a category path or the last
    part of one). Raises ValueError."""
    raw = ((front_matter or {}).get("quiz") or {}).get("draw")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(_("quiz.draw 必须是“分类: 抽题数”的形式。"))
    draws = {}
    for topic, count in raw.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(
                _("quiz.draw 中“%(topic)s”的抽题数必须是不小于 0 的整数。") % {"topic": topic}
            )
        draws[str(topic).strip().strip("/")] = count
    return draws


def resolve_topic(topic, paths):
    """The category path ``topic`` names: the path itself or a unique last part."""
    if topic in paths:
        return topic
    matches = [p for p in paths if p.rsplit("/", 1)[-1] == topic]
    return matches[0] if len(matches) == 1 else None


def _check_draws(draws, questions):
    paths = {q.category.strip("/") for q in questions if q.category.strip("/")}
    resolved = {}
    for topic, count in draws.items():
        path = resolve_topic(topic, paths)
        if path is None:
            raise ValueError(
                _("quiz.draw 中的分类“%(topic)s”在 questions.gift 中不存在或不唯一。")
                % {"topic": topic}
            )
        resolved[path] = count
    return resolved


def question_fingerprint(parsed):
    """A hash of everything the loader writes into a question (tags included)."""
    data = asdict(_normalised(parsed))
    data.pop("line", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _stored_fingerprint(question, choices=None):
    return question_fingerprint(question_to_parsed(question, choices))


def quiz_fingerprint(quiz):
    """A hash of the quiz settings the loader writes, as stored in the database."""
    quiz = Quiz.objects.get(pk=quiz.pk)
    data = {key: str(getattr(quiz, key)) for key in QUIZ_FIELDS}
    data["bank"] = quiz.bank_id
    data["draws"] = sorted(
        (d.category.path, d.count, d.include_subcategories)
        for d in QuizDraw.objects.filter(quiz_id=quiz.pk).select_related("category")
    )
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _skip(report, obj, message):
    if report is not None:
        report.skipped.append((obj, message))


def _count(report, kind, what, n=1):
    if report is not None and n:
        report.count(kind, what, n)


def sync_course_questions(bank, questions, path, force=False, report=None):
    """Make ``bank`` match a course's questions.gift (``path`` for messages).

    New questions are created, changed ones updated, unchanged ones left alone. A question
    edited in the admin since the last load (its content no longer matches what the loader
    wrote) is skipped and reported unless ``force``. A question of the file that is no longer
    in it is retired (never drawn again, kept for history); one that comes back is restored.
    """
    _check_questions(questions)
    now = timezone.now()
    existing = {
        q.name: q
        for q in Question.objects.filter(bank=bank)
        .select_related("category")
        .prefetch_related("choices")
    }
    cache = {c.path: c for c in Category.objects.filter(bank=bank)}
    for parsed in questions:
        category = _category_for(bank, parsed.category.strip("/"), cache)
        wanted = question_fingerprint(parsed)
        question = existing.get(parsed.name)
        if question is None:
            question = Question(bank=bank, name=parsed.name, from_loader=True, loader_hash=wanted)
            _apply(question, parsed, category)
            question.save()
            _write_choices(question, parsed.answers, [])
            record_version(question)
            _count(report, "questions", "created")
            continue
        choices = sorted(question.choices.all(), key=lambda c: (c.sort_order or 0, c.pk))
        stored = _stored_fingerprint(question, choices)
        edited = bool(question.loader_hash) and stored != question.loader_hash
        if not question.from_loader and not question.loader_hash:
            edited = True  # written in the admin under a name the file now uses
        if edited and not force:
            _skip(
                report,
                question,
                _(
                    "%(path)s 第 %(line)s 行：题目“%(name)s”在管理后台修改过，未覆盖"
                    "（使用 --force 覆盖后台的修改）。"
                )
                % {"path": path, "line": parsed.line, "name": parsed.name},
            )
            _count(report, "questions", "skipped")
            continue
        restored = question.retired_at is not None
        if stored == wanted and not restored:
            if question.loader_hash != wanted or not question.from_loader:
                Question.objects.filter(pk=question.pk).update(loader_hash=wanted, from_loader=True)
            _count(report, "questions", "unchanged")
            continue
        if stored != wanted:
            _apply(question, parsed, category)
            _write_choices(question, parsed.answers, choices)
        question.retired_at = None
        question.from_loader = True
        question.loader_hash = wanted
        question.save()
        record_version(question)
        _count(report, "questions", "restored" if restored else "updated")
    names = {parsed.name for parsed in questions}
    for question in existing.values():
        if question.name in names or not question.from_loader or question.retired_at:
            continue
        edited = bool(question.loader_hash) and _stored_fingerprint(question) != (
            question.loader_hash
        )
        if edited and not force:
            _skip(
                report,
                question,
                _("%(path)s：题目“%(name)s”已从文件删除，但在管理后台修改过，未停用。")
                % {"path": path, "name": question.name},
            )
            _count(report, "questions", "skipped")
            continue
        question.retired_at = now
        question.save(update_fields=["retired_at", "updated_at"])
        _count(report, "questions", "retired")


def _write_draws(quiz, bank, draws):
    """Make the quiz's QuizDraw rows match ``draws`` ({path: count}); no writes when equal."""
    current = [
        (d.category.path, d.count, d.include_subcategories)
        for d in QuizDraw.objects.filter(quiz=quiz)
        .select_related("category")
        .order_by("sort_order", "pk")
    ]
    if current == [(path, count, True) for path, count in draws.items()]:
        return False
    categories = {c.path: c for c in Category.objects.filter(bank=bank)}
    QuizDraw.objects.filter(quiz=quiz).delete()
    for order, (path, count) in enumerate(draws.items()):
        QuizDraw.objects.create(quiz=quiz, category=categories[path], count=count, sort_order=order)
    return True


def load_course_quiz(
    course_page, course_dir, front_matter, dry_run=False, report=None, force=False
):
    """Course-loader extension: sync ``questions.gift`` into the bank named after the course
    code (see ``sync_course_questions``) and create/update the course's Quiz from the ``quiz:``
    front matter, with per-category draws from ``quiz.draw``. A quiz edited in the admin
    since the last load keeps its settings (reported) unless ``force``. Idempotent.

    Raises ``courses.loader.CurriculumError`` naming the file and line; on dry runs it only
    validates.
    """
    from courses.loader import CurriculumError

    course_dir = Path(course_dir)
    path = course_dir / "questions.gift"
    course_md = course_dir / "course.md"
    code = (front_matter or {}).get("code") or getattr(course_page, "code", None)
    has_quiz = isinstance(front_matter, dict) and front_matter.get("quiz")
    if not path.exists():
        if has_quiz:
            raise CurriculumError(course_md, 1, _("设置了 quiz 但缺少 questions.gift。"))
        return None
    try:
        questions = parse_bytes(path.read_bytes(), "gift")
    except FormatError as error:
        line, _message = error.errors[0]
        raise CurriculumError(path, line or 1, "；".join(error.messages())) from None
    try:
        values = _quiz_settings(front_matter, code)
        draws = _check_draws(draw_settings(front_matter), questions)
    except ValueError as error:
        raise CurriculumError(course_md, 1, str(error)) from None
    if dry_run or course_page is None or getattr(course_page, "pk", None) is None:
        return None
    with transaction.atomic():
        bank, _created = QuestionBank.objects.get_or_create(name=code)
        sync_course_questions(bank, questions, path, force=force, report=report)
        quiz = Quiz.objects.filter(course=course_page).first()
        edited = bool(quiz and quiz.loader_hash) and quiz_fingerprint(quiz) != quiz.loader_hash
        if edited and not force:
            _skip(
                report,
                quiz,
                _(
                    "%(path)s：测验“%(title)s”在管理后台修改过，未覆盖"
                    "（使用 --force 覆盖后台的修改）。"
                )
                % {"path": course_md, "title": quiz.title},
            )
            _count(report, "quizzes", "skipped")
            return quiz
        created = quiz is None
        if created:
            quiz = Quiz(course=course_page, bank=bank)
        changed = created or quiz.bank_id != bank.pk
        quiz.bank = bank
        for key, value in values.items():
            if getattr(quiz, key) != value:
                setattr(quiz, key, value)
                changed = True
        if changed:
            quiz.save()
        changed = _write_draws(quiz, bank, draws) or changed
        fingerprint = quiz_fingerprint(quiz)
        if quiz.loader_hash != fingerprint:
            Quiz.objects.filter(pk=quiz.pk).update(loader_hash=fingerprint)
            quiz.loader_hash = fingerprint
        _count(report, "quizzes", "created" if created else "updated" if changed else "unchanged")
    return quiz


def register_with_course_loader():
    try:
        from courses.loader import register_course_extension
    except ImportError:
        # TODO(lead): courses/loader.py did not exist when this was written; once it does,
        # this registers load_course_quiz automatically at start-up.
        logger.debug("courses.loader not available; quiz extension not registered")
        return
    register_course_extension(load_course_quiz)

"""Build or update the training page tree from the curriculum files (``content/``).

The format is described in ``content/README.md``. Loading happens in two phases inside one
transaction: every file is read and validated first (and every registered course extension is
asked to validate its part, ``dry_run=True``); only when nothing is wrong are pages written
(and the extensions called again with ``dry_run=False``). Any error rolls everything back.

Idempotency: each page remembers the hash of its source file (``source_hash``) and the revision
the loader last wrote (``loader_revision``). Unchanged files create no revisions; a changed file
becomes a new published revision; a page edited in the CMS since the last load (its latest
revision is not the loader's) is skipped unless ``force`` is given.

Extensions (the quizzes app loads ``quiz:`` and ``questions.gift`` this way)::

    from courses.loader import CurriculumError, register_course_extension

    @register_course_extension
    def load_quiz(course_page, course_dir, front_matter, dry_run):
        # dry_run=True: validate only; course_page is the existing CoursePage or None.
        # dry_run=False: write; course_page is the saved CoursePage.
        raise CurriculumError(course_dir / "questions.gift", 12, "...")
"""

import datetime
import hashlib
import inspect
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.blocks import StreamBlockValidationError
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
)

from lms.organisation import roles

from . import markdown as mdconv
from .models import CoursePage, LessonPage, TrainingIndexPage

# Bump when the parser's output changes: every page is then rewritten once.
LOADER_VERSION = "2"

INDEX_TITLE = "培训课程"
SITE_NAME = "上海知识产权窗口培训"  # the Wagtail site's name (lms migration 0006_site_name)
INDEX_SLUG = "training"
# The page wagtailcore's migration 0002 creates as the first site root (a plain Page).
WAGTAIL_WELCOME_TITLE = "Welcome to your new Wagtail site!"

COURSE_REQUIRED = ["code", "title", "slug", "summary"]
LESSON_REQUIRED = ["title", "slug"]
SPECIAL_BLOCKS = ["keypoints", "checklist", "steps", "faq", "warning", "dialogue"]
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FENCE_OPEN_RE = re.compile(r"^:::\s*(\S+)\s*(.*?)\s*$")
BULLET_RE = re.compile(r"^\s*[-*+]\s+(.*)$")
NUMBERED_RE = re.compile(r"^\s*\d+[.)、]\s*(.*)$")
QA_RE = re.compile(r"^\s*([QA])\s*[:：]\s*(.*)$")
# ``窗口：您好……`` / ``申请人：……``: a speaker (at most 12 characters) before a full-width colon.
SPEAKER_RE = re.compile(r"^\s*([^：:\s][^：:]{0,11})：\s*(.*)$")
WINDOW_SPEAKERS = ("窗口", "工作人员", "窗口人员", "受理人员", "帮办员")
APPLICANT_SPEAKERS = ("申请人", "办事人", "来访者", "企业", "代理人", "被许可人", "许可人")
OPTIONAL_SUFFIXES = ("（可选）", "(可选)")


# --------------------------------------------------------------------------- errors, hooks


class CurriculumError(Exception):
    """A problem in one curriculum file, at one line (1-based)."""

    def __init__(self, path, line, message):
        self.path = Path(path)
        self.line = line
        self.message = str(message)
        super().__init__(str(self))

    def __str__(self):
        return _("%(path)s 第 %(line)s 行：%(message)s") % {
            "path": self.path,
            "line": self.line,
            "message": self.message,
        }


class CurriculumInvalid(Exception):
    """Raised with every CurriculumError found; nothing has been written."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


_course_extensions = []


def register_course_extension(func):
    """``func(course_page, course_dir, front_matter, dry_run)``, called for every course: first
    to validate (``dry_run=True``; raise ``CurriculumError``), then to write (``dry_run=False``),
    inside the loader's transaction. Usable as a decorator; registering twice is a no-op.

    An extension that also accepts ``report`` and ``force`` keyword arguments gets the
    LoadReport (to report what it skipped) and the ``--force`` flag when writing."""
    if func not in _course_extensions:
        _course_extensions.append(func)
    return func


def unregister_course_extension(func):
    if func in _course_extensions:
        _course_extensions.remove(func)


# --------------------------------------------------------------------------- parsed sources


@dataclass
class LessonSource:
    path: Path
    meta: dict
    key_lines: dict
    body: list  # raw stream data: [{"type": ..., "value": ...}]
    hash: str


@dataclass
class CourseSource:
    dir: Path
    path: Path
    meta: dict
    key_lines: dict
    intro: str
    hash: str
    lessons: list = field(default_factory=list)

    @property
    def code(self):
        return self.meta["code"]


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (page, message)
    unpublished: list = field(default_factory=list)
    dry_run: bool = False
    # Filled by extensions (the quizzes app): {"created": n, "updated": n, "unchanged": n,
    # "retired": n, "restored": n, "skipped": n} for questions, and the same for quizzes.
    questions: dict = field(default_factory=dict)
    quizzes: dict = field(default_factory=dict)

    def count(self, kind, what, n=1):
        """Add ``n`` to ``self.<kind>[what]`` (kind: "questions" or "quizzes")."""
        counts = getattr(self, kind)
        counts[what] = counts.get(what, 0) + n

    @property
    def written(self):
        return len(self.created) + len(self.updated)


# --------------------------------------------------------------------------- parsing


def _hash(raw):
    return hashlib.sha256(LOADER_VERSION.encode() + b"\0" + raw).hexdigest()


def split_front_matter(path, text):
    """Return (meta, body, body_first_line, key_lines). Raises CurriculumError."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise CurriculumError(path, 1, _("文件必须以 --- 开头的 YAML 信息区开始。"))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise CurriculumError(path, 1, _("YAML 信息区没有以 --- 结束。"))
    yaml_text = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if "flow" in (getattr(exc, "context", None) or "") and exc.context_mark is not None:
            mark = exc.context_mark  # an unclosed [ or {: name the line that opened it
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise CurriculumError(path, line, _("YAML 格式错误：%(problem)s") % {"problem": problem})
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise CurriculumError(path, 2, _("YAML 信息区必须是“键: 值”的形式。"))
    # "key:" or "key: null" means the same as leaving the key out (defaults apply, and a
    # required key is reported missing).
    meta = {key: value for key, value in meta.items() if value is not None}
    key_lines = {}
    for i in range(1, end):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", lines[i])
        if match:
            key_lines.setdefault(match.group(1), i + 1)
    body = "\n".join(lines[end + 1 :])
    return meta, body, end + 2, key_lines


class _Checker:
    """Type checks for front-matter values, naming the key's line."""

    def __init__(self, path, meta, key_lines, errors):
        self.path, self.meta, self.key_lines, self.errors = path, meta, key_lines, errors

    def line(self, key):
        return self.key_lines.get(key, 1)

    def fail(self, key, message):
        self.errors.append(CurriculumError(self.path, self.line(key), message))

    def required(self, keys):
        for key in keys:
            value = self.meta.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.errors.append(
                    CurriculumError(self.path, 1, _("缺少必填项“%(key)s”。") % {"key": key})
                )

    def text(self, key, max_length=None):
        value = self.meta.get(key)
        if value is None:
            return
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(key, _("“%(key)s”必须是文字。") % {"key": key})
            return
        value = str(value).strip()
        self.meta[key] = value
        if max_length and len(value) > max_length:
            self.fail(
                key,
                _("“%(key)s”不能超过 %(max)s 个字符。") % {"key": key, "max": max_length},
            )

    def slug(self, key):
        value = self.meta.get(key)
        if value is not None and not (isinstance(value, str) and SLUG_RE.match(value)):
            self.fail(key, _("“%(key)s”只能使用小写英文字母、数字和连字符。") % {"key": key})

    def integer(self, key, minimum=0):
        value = self.meta.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(
                key,
                _("“%(key)s”必须是不小于 %(min)s 的整数。") % {"key": key, "min": minimum},
            )

    def number(self, key):
        value = self.meta.get(key)
        if value is None:
            return
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            number = Decimal(str(value))
            if number < 0 or number >= 1000:
                raise InvalidOperation
        except InvalidOperation:
            self.fail(key, _("“%(key)s”必须是 0 到 999.9 之间的数字。") % {"key": key})

    def boolean(self, key):
        value = self.meta.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(key, _("“%(key)s”必须是 true 或 false。") % {"key": key})

    def string_list(self, key):
        value = self.meta.get(key)
        if value is None:
            return
        if not isinstance(value, list) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
        ):
            self.fail(key, _("“%(key)s”必须是列表，每项一行，以“- ”开头。") % {"key": key})
            return
        self.meta[key] = [str(v).strip() for v in value if str(v).strip()]

    def choice(self, key, choices):
        value = self.meta.get(key)
        if value is not None and value not in choices:
            self.fail(
                key,
                _("“%(key)s”必须是以下之一：%(choices)s。")
                % {"key": key, "choices": "、".join(choices)},
            )

    def date(self, key):
        value = self.meta.get(key)
        if value is not None and not isinstance(value, datetime.date):
            self.fail(key, _("“%(key)s”必须是日期，如 2026-11-30。") % {"key": key})

    def mapping(self, key):
        value = self.meta.get(key)
        if value is not None and not isinstance(value, dict):
            self.fail(key, _("“%(key)s”必须是“键: 值”的形式。") % {"key": key})


def _validate_course_meta(path, meta, key_lines, errors):
    check = _Checker(path, meta, key_lines, errors)
    check.required(COURSE_REQUIRED)
    check.text("code", 20)
    check.text("title", 255)
    check.slug("slug")
    check.text("summary", 500)
    check.string_list("objectives")
    check.integer("estimated_minutes")
    check.boolean("required")
    check.boolean("quiz_after_lessons")
    check.string_list("prerequisites")
    check.integer("certificate_validity_days", minimum=1)
    check.choice("certificate_language", ["zh", "bilingual"])
    check.integer("order")
    check.number("hours")
    check.mapping("quiz")


def _validate_lesson_meta(path, meta, key_lines, errors):
    check = _Checker(path, meta, key_lines, errors)
    check.required(LESSON_REQUIRED)
    check.text("title", 255)
    check.slug("slug")
    check.integer("order")
    check.integer("estimated_minutes")
    check.text("summary", 500)
    check.date("checked")
    _validate_sources(path, meta, key_lines, errors)


SOURCE_KEYS = {"title", "cite", "checked", "official", "url"}


def _validate_sources(path, meta, key_lines, errors):
    """``sources``: a list of strings, or of mappings ``{title, cite, checked, official, url}``
    (``official: false`` marks a source that is not an official text, e.g. one office's
    practice). Normalised to a list of dicts with at least ``title``."""
    value = meta.get("sources")
    if value is None:
        return
    line = key_lines.get("sources", 1)
    if not isinstance(value, list):
        errors.append(CurriculumError(path, line, _("“sources”必须是列表，每项一行，以“- ”开头。")))
        return
    items = []
    for item in value:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            if str(item).strip():
                items.append({"title": str(item).strip()})
            continue
        if not isinstance(item, dict) or not str(item.get("title") or "").strip():
            errors.append(
                CurriculumError(path, line, _("每条依据必须是文字，或带 title 的键值对。"))
            )
            continue
        unknown = set(item) - SOURCE_KEYS
        if unknown:
            errors.append(
                CurriculumError(
                    path,
                    line,
                    _("依据中有未知字段：%(keys)s。") % {"keys": "、".join(sorted(unknown))},
                )
            )
        checked = item.get("checked")
        if checked is not None and not isinstance(checked, datetime.date):
            errors.append(
                CurriculumError(path, line, _("依据的 checked 必须是日期，如 2026-11-30。"))
            )
        if "official" in item and not isinstance(item["official"], bool):
            errors.append(CurriculumError(path, line, _("依据的 official 必须是 true 或 false。")))
        items.append({**item, "title": str(item["title"]).strip()})
    meta["sources"] = items


def source_label(source, checked=None):
    """One line for the lesson page: the title, "（非官方，仅供参考）" for unofficial sources,
    and the date it was last checked (its own ``checked`` or the lesson's)."""
    label = source["title"]
    if source.get("official") is False:
        label += _("（非官方，仅供参考）")
    checked = source.get("checked") or checked
    if checked:
        label += _("（核对：%(date)s）") % {"date": checked.isoformat()}
    return label


def _list_items(path, lines, first_line, pattern, what):
    """Items of a bullet/numbered list: [(line, text)]; continuation lines join the item."""
    items = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        match = pattern.match(line)
        if match:
            items.append([first_line + offset, match.group(1).strip()])
        elif items:
            items[-1][1] += " " + line.strip() if items[-1][1].isascii() else line.strip()
        else:
            raise CurriculumError(
                path, first_line + offset, _("这里应当是%(what)s。") % {"what": what}
            )
    return [(line, text) for line, text in items if text]


def _special_block(path, kind, title, lines, first_line, open_line):
    """Parse the inside of a ``::: kind title`` fence into raw block data."""
    bullets = _("以“- ”开头的列表项")
    value = {}
    if kind == "keypoints":
        points = [
            mdconv.to_plain(t) for _l, t in _list_items(path, lines, first_line, BULLET_RE, bullets)
        ]
        value = {"points": points}
        empty = not points
    elif kind == "checklist":
        items = []
        for _line, text in _list_items(path, lines, first_line, BULLET_RE, bullets):
            optional = text.endswith(OPTIONAL_SUFFIXES)
            for suffix in OPTIONAL_SUFFIXES:
                text = text.removesuffix(suffix)
            items.append({"item": mdconv.to_plain(text), "optional": optional})
        value = {"items": items}
        empty = not items
    elif kind == "steps":
        steps = []
        numbered = _("编号列表项（如“1. 标题：说明”）")
        for _line, text in _list_items(path, lines, first_line, NUMBERED_RE, numbered):
            step_title, _sep, detail = text.partition("：")
            steps.append({"title": mdconv.to_plain(step_title), "detail": mdconv.to_plain(detail)})
        value = {"steps": steps}
        empty = not steps
    elif kind == "faq":
        items, current, part = [], None, None
        for offset, line in enumerate(lines):
            match = QA_RE.match(line)
            lineno = first_line + offset
            if match and match.group(1) == "Q":
                current = {"line": lineno, "question": [match.group(2)], "answer": []}
                items.append(current)
                part = "question"
            elif match and match.group(1) == "A":
                if current is None or current["answer"]:
                    raise CurriculumError(path, lineno, _("回答“A:”前面缺少问题“Q:”。"))
                current["answer"].append(match.group(2))
                part = "answer"
            elif line.strip():
                if current is None:
                    raise CurriculumError(path, lineno, _("常见问题应以“Q: ”开头。"))
                current[part].append(line.strip())
        faq = []
        for item in items:
            answer = "\n".join(item["answer"]).strip()
            if not answer:
                raise CurriculumError(path, item["line"], _("这个问题缺少回答“A: ”。"))
            question = mdconv.to_plain(" ".join(item["question"]))
            faq.append({"question": question, "answer": mdconv.to_rich_text(answer)})
        value = {"items": faq}
        empty = not faq
    elif kind == "dialogue":
        value = {"lines": _dialogue_lines(path, lines, first_line)}
        empty = not value["lines"]
    else:  # warning
        text = mdconv.to_rich_text("\n".join(lines))
        value = {"text": text}
        empty = not text
    if empty:
        raise CurriculumError(path, open_line, _("“%(kind)s”块没有内容。") % {"kind": kind})
    if title:
        value["title"] = mdconv.to_plain(title)
    return value


def speaker_role(speaker):
    """ "window", "applicant" or "other" for a dialogue speaker's label."""
    if speaker.startswith(WINDOW_SPEAKERS):
        return "window"
    if speaker.startswith(APPLICANT_SPEAKERS):
        return "applicant"
    return "other"


def _dialogue_lines(path, lines, first_line):
    """``窗口：…`` / ``申请人：…`` lines; a line without a speaker continues the previous one."""
    turns = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        match = SPEAKER_RE.match(line)
        if match:
            speaker = mdconv.to_plain(match.group(1).strip())
            turns.append(
                {"speaker": speaker, "role": speaker_role(speaker), "text": match.group(2).strip()}
            )
        elif turns:
            turns[-1]["text"] += line.strip()
        else:
            raise CurriculumError(
                path,
                first_line + offset,
                _("对话的每一句应以“说话人：”开头，如“窗口：”或“申请人：”。"),
            )
    for turn in turns:
        turn["text"] = mdconv.to_plain(turn["text"])
    return [turn for turn in turns if turn["text"]]


def _text_blocks(buffer):
    """Split Markdown lines into text and table blocks: [(line, type, value)]."""
    blocks, chunk = [], []

    def flush_chunk():
        text = "\n".join(line for _n, line in chunk).strip()
        if text:
            html = mdconv.to_rich_text(text)
            if html:
                blocks.append((chunk[0][0], "text", {"text": html}))
        chunk.clear()

    i = 0
    while i < len(buffer):
        lineno, line = buffer[i]
        if line.lstrip().startswith("|"):
            j = i
            while j < len(buffer) and buffer[j][1].lstrip().startswith("|"):
                j += 1
            table = [text for _n, text in buffer[i:j]]
            if len(table) >= 2 and re.match(r"^\s*\|?[\s:|-]+$", table[1]) and "-" in table[1]:
                flush_chunk()
                blocks.append((lineno, "table", {"caption": "", "markdown": "\n".join(table)}))
                i = j
                continue
        chunk.append((lineno, line))
        i += 1
    flush_chunk()
    return blocks


def parse_lesson_body(path, body, first_line):
    """Markdown body → raw StreamField data. Raises CurriculumError at the offending line."""
    lines = body.splitlines()
    raw = []  # (line, type, value)
    buffer = []

    def flush():
        raw.extend(_text_blocks(buffer))
        buffer.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = first_line + i
        if line.startswith("## "):
            flush()
            raw.append((lineno, "heading", {"text": mdconv.to_plain(line[3:]), "level": "h2"}))
        elif line.strip() == ":::":
            raise CurriculumError(path, lineno, _("多余的结束标记“:::”，前面没有对应的开始行。"))
        elif FENCE_OPEN_RE.match(line):
            flush()
            kind, title = FENCE_OPEN_RE.match(line).groups()
            if kind not in SPECIAL_BLOCKS:
                raise CurriculumError(
                    path,
                    lineno,
                    _("未知的块类型“%(kind)s”，可用的类型：%(kinds)s。")
                    % {"kind": kind, "kinds": "、".join(SPECIAL_BLOCKS)},
                )
            end = None
            for j in range(i + 1, len(lines)):
                if lines[j].strip() == ":::":
                    end = j
                    break
                if FENCE_OPEN_RE.match(lines[j]):
                    raise CurriculumError(
                        path,
                        first_line + j,
                        _("第 %(open)s 行开始的“%(kind)s”块还没有结束，块不能嵌套。")
                        % {"open": lineno, "kind": kind},
                    )
            if end is None:
                raise CurriculumError(
                    path,
                    lineno,
                    _("“%(kind)s”块没有结束标记“:::”。") % {"kind": kind},
                )
            value = _special_block(path, kind, title, lines[i + 1 : end], lineno + 1, lineno)
            raw.append((lineno, kind, value))
            i = end
        else:
            buffer.append((lineno, line))
        i += 1
    flush()
    return raw


def _validate_blocks(path, raw, errors):
    """Clean each block with its Wagtail block definition (lengths, required fields)."""
    stream_block = LessonPage._meta.get_field("body").stream_block
    data = []
    for lineno, kind, value in raw:
        block = stream_block.child_blocks[kind]
        try:
            block.clean(block.to_python(value))
        except (ValidationError, StreamBlockValidationError) as exc:
            errors.append(
                CurriculumError(
                    path,
                    lineno,
                    _("“%(kind)s”块内容无效：%(error)s")
                    % {"kind": kind, "error": _flatten_error(exc)},
                )
            )
            continue
        data.append({"type": kind, "value": value})
    return data


def _flatten_error(exc):
    def walk(node):
        if isinstance(node, dict):
            for key, sub in node.items():
                if key == "messages":
                    yield from (str(m) for m in sub)
                else:
                    yield from walk(sub)
        elif isinstance(node, list):
            for sub in node:
                yield from walk(sub)
        elif node is not None:
            yield str(node)

    data = exc.as_json_data() if hasattr(exc, "as_json_data") else {"messages": exc.messages}
    return "；".join(dict.fromkeys(walk(data))) or str(exc)


def read_lesson(path, errors):
    raw_bytes = path.read_bytes()
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(CurriculumError(path, 1, _("文件必须使用 UTF-8 编码。")))
        return None
    try:
        meta, body, first_line, key_lines = split_front_matter(path, text)
    except CurriculumError as exc:
        errors.append(exc)
        return None
    count = len(errors)
    _validate_lesson_meta(path, meta, key_lines, errors)
    try:
        raw = parse_lesson_body(path, body, first_line)
    except CurriculumError as exc:
        errors.append(exc)
        return None
    data = _validate_blocks(path, raw, errors)
    if len(errors) > count:
        return None
    return LessonSource(path, meta, key_lines, data, _hash(raw_bytes))


def read_course(course_dir, errors):
    path = course_dir / "course.md"
    raw_bytes = path.read_bytes()
    try:
        text = raw_bytes.decode("utf-8-sig")
        meta, body, _first, key_lines = split_front_matter(path, text)
    except UnicodeDecodeError:
        errors.append(CurriculumError(path, 1, _("文件必须使用 UTF-8 编码。")))
        return None
    except CurriculumError as exc:
        errors.append(exc)
        return None
    count = len(errors)
    _validate_course_meta(path, meta, key_lines, errors)
    lesson_dir = course_dir / "lessons"
    lessons = []
    if lesson_dir.is_dir():
        for lesson_path in sorted(lesson_dir.glob("*.md")):
            lesson = read_lesson(lesson_path, errors)
            if lesson is not None:
                lessons.append(lesson)
    seen = {}
    for lesson in lessons:
        slug = lesson.meta.get("slug")
        if slug in seen:
            errors.append(
                CurriculumError(
                    lesson.path,
                    lesson.key_lines.get("slug", 1),
                    _("网址名“%(slug)s”与 %(other)s 重复。")
                    % {"slug": slug, "other": seen[slug].path.name},
                )
            )
        seen[slug] = lesson
    if len(errors) > count:
        return None
    lessons.sort(key=lambda lesson: (lesson.meta.get("order", 0), lesson.path.name))
    source = CourseSource(
        course_dir, path, meta, key_lines, mdconv.to_rich_text(body), _hash(raw_bytes)
    )
    source.lessons = lessons
    return source


def read_curriculum(root):
    """Parse and validate every course under ``root/courses``. Raises CurriculumInvalid."""
    root = Path(root)
    errors = []
    courses_dir = root / "courses"
    if not courses_dir.is_dir():
        raise CurriculumInvalid([CurriculumError(courses_dir, 1, _("找不到课程目录 courses/。"))])
    courses = []
    for course_dir in sorted(p for p in courses_dir.iterdir() if p.is_dir()):
        if not (course_dir / "course.md").is_file():
            errors.append(CurriculumError(course_dir / "course.md", 1, _("缺少 course.md 文件。")))
            continue
        course = read_course(course_dir, errors)
        if course is not None:
            courses.append(course)
    by_code = {}
    for course in courses:
        if course.code in by_code:
            errors.append(
                CurriculumError(
                    course.path,
                    course.key_lines.get("code", 1),
                    _("课程代码“%(code)s”与 %(other)s 重复。")
                    % {"code": course.code, "other": by_code[course.code].path},
                )
            )
        by_code[course.code] = course
    known = set(by_code) | set(CoursePage.objects.values_list("code", flat=True))
    for course in courses:
        for code in course.meta.get("prerequisites") or []:
            if code not in known or code == course.code:
                errors.append(
                    CurriculumError(
                        course.path,
                        course.key_lines.get("prerequisites", 1),
                        _("未知的先修课程“%(code)s”。") % {"code": code},
                    )
                )
    if errors:
        raise CurriculumInvalid(errors)
    return _topological(courses)


def _topological(courses):
    """Order courses so that prerequisites come first (then by ``order``); reject cycles."""
    by_code = {c.code: c for c in courses}
    ordered, state = [], {}

    def visit(course, chain):
        if state.get(course.code) == "done":
            return
        if state.get(course.code) == "visiting":
            raise CurriculumInvalid(
                [
                    CurriculumError(
                        course.path,
                        course.key_lines.get("prerequisites", 1),
                        _("先修课程形成了循环：%(chain)s。")
                        % {"chain": " → ".join([*chain, course.code])},
                    )
                ]
            )
        state[course.code] = "visiting"
        for code in course.meta.get("prerequisites") or []:
            if code in by_code:
                visit(by_code[code], [*chain, course.code])
        state[course.code] = "done"
        ordered.append(course)

    for course in sorted(courses, key=lambda c: (c.meta.get("order", 0), c.dir.name)):
        visit(course, [])
    return ordered


# --------------------------------------------------------------------------- writing


def site_address(url: str | None = None) -> tuple[str, int]:
    """(hostname, port) of the Wagtail Site for ``url`` (default ``settings.SITE_URL``, the
    one public base URL of links in e-mails, QR codes and the admin)."""
    from urllib.parse import urlsplit

    from django.conf import settings

    parts = urlsplit(url or settings.SITE_URL)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname or "localhost", parts.port or default


def ensure_training_index():
    """The one TrainingIndexPage under the Wagtail root, as the default Site's root page."""
    index = TrainingIndexPage.objects.first()
    if index is None:
        root = Page.get_first_root_node()
        index = TrainingIndexPage(title=INDEX_TITLE, slug=INDEX_SLUG)
        root.add_child(instance=index)
        index.save_revision(log_action=True).publish(log_action=False)
    hostname, port = site_address()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname=hostname,
            port=port,
            root_page=index,
            is_default_site=True,
            site_name=INDEX_TITLE,
        )
    else:
        changed = site.root_page_id != index.pk or not site.site_name
        site.root_page = index
        # Wagtail's home and title show the host name ("localhost") for a nameless site.
        site.site_name = site.site_name or SITE_NAME
        taken = Site.objects.filter(hostname=hostname, port=port).exclude(pk=site.pk).exists()
        if (site.hostname, site.port) != (hostname, port) and not taken:
            # Page URLs (``full_url``: the workflow e-mails' "view the page" links) on the
            # same base as every other link, SITE_URL, not Wagtail's stock localhost:80.
            site.hostname, site.port = hostname, port
            changed = True
        if changed:
            site.save()
    remove_wagtail_welcome_page()
    ensure_trainer_permissions(index)
    return index


def remove_wagtail_welcome_page() -> int:
    """Delete Wagtail's stock "Welcome to your new Wagtail site!" page, so the page tree holds
    only the training home. Only the untouched stock page goes: a plain ``Page`` at depth 2
    with that title, no children, and no Site rooted at it. Returns the number deleted.
    (Migration ``courses.0006_remove_wagtail_welcome_page`` does the same for databases whose
    curriculum was loaded before.)"""
    from django.contrib.contenttypes.models import ContentType

    rooted = Site.objects.values("root_page_id")
    stock = Page.objects.filter(
        content_type=ContentType.objects.get_for_model(Page),
        depth=2,
        numchild=0,
        title=WAGTAIL_WELCOME_TITLE,
    ).exclude(pk__in=rooted)
    deleted = 0
    for page in stock:
        page.delete()
        deleted += 1
    return deleted


def ensure_trainer_permissions(index):
    """Trainers add and edit pages in the training tree and submit them to the reviewers'
    workflow; reviewers publish (``lms.organisation.roles.PAGE_PERMISSIONS``). Trainers and
    reviewers add images/documents. Idempotent; a publish permission a trainer held before is
    withdrawn.
    District and city administrators get no page permissions (they view the site)."""
    for role, codenames in roles.PAGE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        page_perms = Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=codenames
        )
        for permission in page_perms:
            GroupPagePermission.objects.get_or_create(
                group=group, page=index, permission=permission
            )
        GroupPagePermission.objects.filter(
            group=group, page=index, permission__content_type__app_label="wagtailcore"
        ).exclude(permission__codename__in=codenames).delete()
    if index.get_workflow() is None:
        # Migration lms.0005 assigns the reviewers' workflow to the root; keep it governing.
        workflow = Workflow.objects.filter(name=roles.REVIEW_WORKFLOW, active=True).first()
        if workflow is not None:
            WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    collection = Collection.get_first_root_node()
    if collection is None:
        return
    media_perms = Permission.objects.filter(
        content_type__app_label__in=["wagtailimages", "wagtaildocs"],
        codename__in=[
            "add_image",
            "change_image",
            "choose_image",
            "add_document",
            "change_document",
            "choose_document",
        ],
    )
    for group in Group.objects.filter(name__in=list(roles.PAGE_PERMISSIONS)):
        for permission in media_perms:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=permission
            )


def _publish(page):
    """Save a revision, publish it, and remember it as the loader's revision."""
    revision = page.save_revision(log_action=True)
    revision.publish(log_action=True)
    type(page).objects.filter(pk=page.pk).update(loader_revision=revision)
    page.refresh_from_db()
    return revision


def _relative(path, root):
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve().parent))
    except ValueError:
        return str(path)


def _course_fields(source, root):
    meta = source.meta
    return {
        "title": meta["title"],
        "slug": meta["slug"],
        "code": meta["code"],
        "summary": meta["summary"],
        "objectives": "\n".join(meta.get("objectives") or []),
        "intro": source.intro,
        "estimated_minutes": meta.get("estimated_minutes", 60),
        "hours": Decimal(str(meta.get("hours", 1))),
        "required_for_authorisation": meta.get("required", True),
        # The quiz opens after every lesson is read: on by default for required courses.
        "quiz_after_lessons": meta.get("quiz_after_lessons", meta.get("required", True)),
        "certificate_validity_days": meta.get("certificate_validity_days", 730),
        "certificate_language": meta.get("certificate_language", "zh"),
        "source_path": _relative(source.path, root),
        "source_hash": source.hash,
    }


def _lesson_fields(source, root):
    meta = source.meta
    stream_block = LessonPage._meta.get_field("body").stream_block
    return {
        "title": meta["title"],
        "slug": meta["slug"],
        "summary": meta.get("summary", ""),
        "estimated_minutes": meta.get("estimated_minutes", 15),
        "sources": "\n".join(
            source_label(s, meta.get("checked")) for s in meta.get("sources") or []
        ),
        "body": stream_block.to_python(source.body),
        "source_path": _relative(source.path, root),
        "source_hash": source.hash,
    }


def _write_page(parent, page, model, fields, path, force, report, extra=None):
    """Create or update one page. Returns the page (existing, updated or new)."""
    if page is None:
        page = model(live=False, **fields)
        parent.add_child(instance=page)
        if extra:
            extra(page)
        _publish(page)
        report.created.append(page)
        return page
    if page.edited_since_load and not force:
        report.skipped.append(
            (
                page,
                _(
                    "%(path)s：页面“%(title)s”在管理后台修改过，未覆盖"
                    "（使用 --force 覆盖后台的修改）。"
                )
                % {"path": path, "title": page.title},
            )
        )
        return page
    if page.source_hash == fields["source_hash"] and not page.edited_since_load:
        report.unchanged.append(page)
        return page
    for name, value in fields.items():
        setattr(page, name, value)
    if extra:
        extra(page)
    _publish(page)
    report.updated.append(page)
    return page


def _ensure_order(parent, pages):
    """Move ``pages`` (children of ``parent``) into the given order, only if they are not."""
    wanted = [p.pk for p in pages]
    current = [pk for pk in parent.get_children().values_list("pk", flat=True) if pk in set(wanted)]
    if current == wanted:
        return
    for page in pages:
        Page.objects.get(pk=page.pk).move(parent, pos="last-child")


def _write_course(index, source, root, force, report):
    page = CoursePage.objects.filter(code=source.code).first()
    fields = _course_fields(source, root)
    prerequisite_codes = source.meta.get("prerequisites") or []

    def set_prerequisites(course):
        course.prerequisites = list(CoursePage.objects.filter(code__in=prerequisite_codes))

    course = _write_page(
        index, page, CoursePage, fields, source.path, force, report, extra=set_prerequisites
    )
    existing = {p.slug: p for p in LessonPage.objects.child_of(course).defer_streamfields()}
    by_path = {p.source_path: p for p in existing.values() if p.source_path}
    lessons = []
    loaded_paths = set()
    for lesson_source in source.lessons:
        lesson_fields = _lesson_fields(lesson_source, root)
        loaded_paths.add(lesson_fields["source_path"])
        lesson = by_path.get(lesson_fields["source_path"]) or existing.get(lesson_fields["slug"])
        if lesson is not None and lesson.pk in {p.pk for p in lessons}:
            lesson = None
        if lesson is not None:
            lesson = LessonPage.objects.get(pk=lesson.pk)  # with its body
        lessons.append(
            _write_page(
                course, lesson, LessonPage, lesson_fields, lesson_source.path, force, report
            )
        )
    # Lessons whose file was removed are unpublished (progress records are kept).
    written = {p.pk for p in lessons}
    for lesson in by_path.values():
        if lesson.pk not in written and lesson.source_path not in loaded_paths and lesson.live:
            if lesson.edited_since_load and not force:
                report.skipped.append(
                    (
                        lesson,
                        _("%(path)s：文件已删除，但页面在管理后台修改过，未下线。")
                        % {"path": lesson.source_path},
                    )
                )
                continue
            lesson.unpublish(log_action=True)
            report.unpublished.append(lesson)
    _ensure_order(course, lessons)
    return course


def load_curriculum(root="content", force=False, dry_run=False):
    """Validate everything, then write in one transaction. Returns a LoadReport.

    Raises CurriculumInvalid (nothing written) when any file or extension reports an error."""
    root = Path(root)
    report = LoadReport(dry_run=dry_run)
    with transaction.atomic():
        sources = read_curriculum(root)
        errors = []
        existing = {
            c.code: c for c in CoursePage.objects.filter(code__in=[s.code for s in sources])
        }
        for source in sources:
            for extension in _course_extensions:
                try:
                    extension(existing.get(source.code), source.dir, source.meta, True)
                except CurriculumError as exc:
                    errors.append(exc)
        if errors:
            raise CurriculumInvalid(errors)
        if dry_run:
            return report
        index = ensure_training_index()
        courses = []
        try:
            for source in sources:
                course = _write_course(index, source, root, force, report)
                courses.append(course)
                for extension in _course_extensions:
                    _call_extension(extension, course, source, report, force)
        except CurriculumError as exc:
            raise CurriculumInvalid([exc])
        except ValidationError as exc:
            path = source.path
            raise CurriculumInvalid([CurriculumError(path, 1, "；".join(exc.messages))])
        _ensure_order(index, sorted(courses, key=lambda c: (_order_of(sources, c), c.code)))
    return report


def _call_extension(extension, course, source, report, force):
    try:
        parameters = inspect.signature(extension).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "report" in parameters and "force" in parameters:
        extension(course, source.dir, source.meta, False, report=report, force=force)
    else:
        extension(course, source.dir, source.meta, False)


def _order_of(sources, course):
    for source in sources:
        if source.code == course.code:
            return (source.meta.get("order", 0), source.dir.name)
    return (0, "")


__all__ = [
    "CurriculumError",
    "CurriculumInvalid",
    "LoadReport",
    "load_curriculum",
    "read_curriculum",
    "register_course_extension",
]

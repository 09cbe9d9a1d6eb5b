"""Question banks, questions, quizzes and attempts.

Public data other apps read (names kept stable): ``Attempt.user/quiz/number/status/score/
passed/started_at/deadline/submitted_at/graded_at`` and ``Quiz.course/pass_mark/max_attempts``.
Scoring lives in ``quizzes.scoring``, the attempt life cycle in ``quizzes.attempts``.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable
from wagtail.search import index

from .formats import inline_html, sanitize_html


class QuestionBank(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("题库")
        verbose_name_plural = _("题库")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A category of a bank; ``parent`` makes sub-categories (GIFT ``$CATEGORY: a/b``)."""

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.CASCADE, related_name="categories", verbose_name=_("题库")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("上级分类"),
    )
    name = models.CharField(_("名称"), max_length=100)
    path = models.CharField(_("完整路径"), max_length=500, editable=False, db_index=True)

    class Meta:
        verbose_name = _("题目分类")
        verbose_name_plural = _("题目分类")
        ordering = ["bank", "path"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "path"], name="quizzes_unique_category_path")
        ]

    def __str__(self):
        return f"{self.bank} / {self.path}"

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.name}" if self.parent_id else self.name
        super().save(*args, **kwargs)

    def descendant_ids(self):
        """This category and all its sub-categories (one query)."""
        return list(
            Category.objects.filter(bank_id=self.bank_id)
            .filter(Q(pk=self.pk) | Q(path__startswith=self.path + "/"))
            .values_list("pk", flat=True)
        )


class Question(index.Indexed, ClusterableModel):
    MULTICHOICE = "multichoice"
    MULTIRESPONSE = "multiresponse"
    TRUEFALSE = "truefalse"
    SHORTANSWER = "shortanswer"
    NUMERICAL = "numerical"
    MATCHING = "matching"
    ESSAY = "essay"
    DESCRIPTION = "description"
    QTYPE_CHOICES = [
        (MULTICHOICE, _("单选题")),
        (MULTIRESPONSE, _("多选题")),
        (TRUEFALSE, _("判断题")),
        (SHORTANSWER, _("简答题")),
        (NUMERICAL, _("数值题")),
        (MATCHING, _("配对题")),
        (ESSAY, _("论述题")),
        (DESCRIPTION, _("说明（不计分）")),
    ]

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.CASCADE, related_name="questions", verbose_name=_("题库")
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("分类"),
    )
    name = models.CharField(_("题目名称"), max_length=255)
    qtype = models.CharField(_("题型"), max_length=20, choices=QTYPE_CHOICES, default=MULTICHOICE)
    # Rich text (Draftail in the admin; Wagtail's image embeds), sanitised on save and shown
    # through ``quizzes.formats.display_html``.
    text = models.TextField(_("题干"))
    text_format = models.CharField(max_length=10, default="html", editable=False)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("配图"),
    )
    explanation = models.TextField(_("解析"), blank=True)
    missing_word = models.BooleanField(_("填空形式"), default=False)
    correct_truefalse = models.BooleanField(_("判断题正确答案"), null=True, blank=True)
    true_feedback = models.TextField(_("选“对”时的反馈"), blank=True)
    false_feedback = models.TextField(_("选“错”时的反馈"), blank=True)
    case_sensitive = models.BooleanField(_("区分大小写"), default=False)
    default_mark = models.DecimalField(_("分值"), max_digits=5, decimal_places=2, default=1)
    rubric = models.TextField(
        _("评分要点"), blank=True, help_text=_("论述题：给阅卷人看的评分标准，学员看不到。")
    )
    # Moodle 4 tags (GIFT ``// [tag:…]``): ``lesson:<slug>``, ``rule:<citation>``, ``scenario``,
    # ``exclude:<group>`` (questions sharing a group are never drawn into one paper).
    tags = models.JSONField(_("标签"), default=list, blank=True)
    retired_at = models.DateTimeField(
        _("停用时间"),
        null=True,
        blank=True,
        help_text=_("已从题库文件中删除的题目：不再抽取，保留用于历史作答和统计。"),
    )
    # Set by the curriculum loader: the question came from a course's questions.gift, and the
    # fingerprint of what the loader last wrote (a different fingerprint = edited in the admin).
    from_loader = models.BooleanField(default=False, editable=False)
    loader_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The editor's panels are per type: quizzes.admin_forms.question_edit_handler.
    search_fields = [
        index.SearchField("name"),
        index.SearchField("text"),
        index.FilterField("bank"),
        index.FilterField("qtype"),
    ]

    class Meta:
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "name"], name="quizzes_unique_question_name")
        ]

    def __str__(self):
        return self.name

    #: Types whose choice texts are HTML (rendered as HTML, so sanitised on save); the choice
    #: texts of the other types are plain (short-answer patterns, number specifications).
    HTML_CHOICE_TYPES = (MULTICHOICE, MULTIRESPONSE, MATCHING)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_qtype = instance.__dict__.get("qtype")
        return instance

    def clean(self):
        super().clean()
        if self.category_id and self.bank_id and self.category.bank_id != self.bank_id:
            raise ValidationError(
                {
                    "category": _("分类“%(category)s”属于题库“%(bank)s”，不属于本题的题库。")
                    % {"category": self.category.path, "bank": self.category.bank}
                }
            )

    def save(self, *args, **kwargs):
        for field in ("text", "explanation", "rubric"):
            setattr(self, field, sanitize_html(getattr(self, field) or ""))
        # Short feedback is stored inline (Draftail's single <p> unwrapped).
        for field in ("true_feedback", "false_feedback"):
            setattr(self, field, inline_html(getattr(self, field) or ""))
        loaded = getattr(self, "_loaded_qtype", None)
        super().save(*args, **kwargs)
        if (
            loaded is not None
            and loaded not in self.HTML_CHOICE_TYPES
            and self.qtype in self.HTML_CHOICE_TYPES
        ):
            # Plain choice texts become HTML: sanitise the stored ones too.
            for choice in Choice.objects.filter(question_id=self.pk):
                if inline_html(choice.text) != choice.text:
                    choice.save(update_fields=["text", "feedback"])
        self._loaded_qtype = self.qtype

    @property
    def is_scored(self):
        return self.qtype != self.DESCRIPTION

    @property
    def is_retired(self):
        return self.retired_at is not None

    def tag_values(self, prefix):
        """Values of the ``prefix:value`` tags, e.g. ``tag_values("exclude")``."""
        return tag_values(self.tags, prefix)

    @property
    def topic(self):
        """The question's topic: its category path ("" when uncategorised)."""
        return self.category.path if self.category_id else ""


def tag_values(tags, prefix):
    """``["lesson:a", "exclude:g1"]``, ``"exclude"`` -> ``["g1"]``."""
    head = prefix + ":"
    return [t[len(head) :].strip() for t in tags or [] if t.startswith(head)]


class Choice(Orderable):
    """An answer of a question. Its meaning depends on the question type:

    multichoice/multiresponse: ``text`` (HTML) with ``fraction``; shortanswer: ``text`` is the
    pattern (``*`` wildcard); numerical: ``value`` ± ``tolerance`` (``value`` empty = any
    number); matching: ``text`` is the sub-question, ``match`` its answer (empty ``text`` = a
    distractor answer).
    """

    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.TextField(_("内容"), blank=True)
    fraction = models.DecimalField(
        _("得分比例"),
        max_digits=7,
        decimal_places=5,
        default=0,
        help_text=_("−100 % 到 100 %；负分用于倒扣。"),
    )
    feedback = models.TextField(_("反馈"), blank=True)
    value = models.FloatField(_("数值"), null=True, blank=True)
    tolerance = models.FloatField(_("误差"), default=0)
    match = models.CharField(_("配对答案"), max_length=255, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("选项")
        verbose_name_plural = _("选项")

    def __str__(self):
        return self.text[:50]

    def save(self, *args, **kwargs):
        # Feedback is always HTML; the text is HTML for choice and matching questions (plain
        # for short-answer patterns and number specifications, which templates escape).
        self.feedback = inline_html(self.feedback or "")
        if self.question.qtype in Question.HTML_CHOICE_TYPES:
            # An option or a matching sub-question sits inline beside its input: a single
            # paragraph (how Draftail stores every text) is unwrapped.
            self.text = inline_html(self.text or "")
        super().save(*args, **kwargs)


class QuestionVersion(models.Model):
    """An immutable snapshot of what a learner sees of a question and how it is scored
    (Moodle's ``question_versions``). ``content`` is ``quizzes.versions.snapshot``: the stem,
    image id, explanation, feedback, type settings, mark and the choices with their ids (the
    per-attempt option tokens are derived from them). Created by ``quizzes.versions``
    whenever a save changes the content; never edited afterwards."""

    wagtail_reference_index_ignore = True

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="versions", verbose_name=_("题目")
    )
    number = models.PositiveIntegerField(_("版本"))
    content = models.JSONField(_("内容"))
    content_hash = models.CharField(max_length=64, editable=False)
    # Fingerprint of what scoring reads (type, mark, key): differs = a regrade may be needed.
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )

    class Meta:
        verbose_name = _("题目版本")
        verbose_name_plural = _("题目版本")
        ordering = ["question", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="quizzes_unique_question_version"
            )
        ]

    def __str__(self):
        return f"{self.question_id} v{self.number}"


class Quiz(ClusterableModel):
    SHOW_EACH = "each"
    SHOW_END = "end"
    SHOW_NEVER = "never"
    SHOW_ANSWERS_CHOICES = [
        (SHOW_EACH, _("每题作答后显示答案")),
        (SHOW_END, _("交卷后显示答案")),
        (SHOW_NEVER, _("不显示答案（考试模式）")),
    ]

    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="quizzes", verbose_name=_("题库")
    )
    course = models.OneToOneField(
        "courses.CoursePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quiz",
        verbose_name=_("所属课程"),
    )
    live = models.BooleanField(_("已发布"), default=True)
    questions_per_attempt = models.PositiveIntegerField(
        _("每次抽题数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("不填则使用题库全部题目；设置了分类抽题时忽略。"),
    )
    shuffle_questions = models.BooleanField(_("随机题目顺序"), default=True)
    shuffle_choices = models.BooleanField(_("随机选项顺序"), default=True)
    pass_mark = models.DecimalField(
        _("及格分"),
        max_digits=5,
        decimal_places=2,
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("0 到 100（满分 100）。"),
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("限时（分钟）"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    max_attempts = models.PositiveIntegerField(
        _("最多作答次数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("不填为不限；1 为只能作答一次。"),
    )
    cooldown_minutes = models.PositiveIntegerField(
        _("两次作答间隔（分钟）"), default=0, validators=[MinValueValidator(0)]
    )
    show_answers = models.CharField(
        _("显示答案"), max_length=10, choices=SHOW_ANSWERS_CHOICES, default=SHOW_END
    )
    hold_answer_key = models.BooleanField(
        _("结业测验：通过后才公布正确答案"),
        default=True,
        help_text=_(
            "仅对关联课程（可获得证书）的测验有效：学员在本轮学习中通过之前（包括用完作答次数后），"
            "交卷后只显示各题对错和复习链接，不显示正确答案、反馈和解析。"
        ),
    )
    available_from = models.DateTimeField(_("开放时间"), null=True, blank=True)
    available_until = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    pass_message = models.TextField(_("及格提示"), blank=True)
    fail_message = models.TextField(_("不及格提示"), blank=True)
    # Fingerprint of the settings the curriculum loader last wrote (see Question.loader_hash).
    loader_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("bank"), FieldPanel("course"), FieldPanel("live")]),
        MultiFieldPanel(
            [
                FieldPanel("questions_per_attempt"),
                InlinePanel("draws", heading=_("按分类抽题"), label=_("抽题规则")),
                FieldRowPanel([FieldPanel("shuffle_questions"), FieldPanel("shuffle_choices")]),
            ],
            heading=_("组卷"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("pass_mark"), FieldPanel("time_limit_minutes")],
                ),
                FieldRowPanel([FieldPanel("max_attempts"), FieldPanel("cooldown_minutes")]),
                FieldPanel("show_answers"),
                FieldPanel("hold_answer_key"),
                FieldRowPanel([FieldPanel("available_from"), FieldPanel("available_until")]),
            ],
            heading=_("规则"),
        ),
        FieldPanel("pass_message"),
        FieldPanel("fail_message"),
    ]

    class Meta:
        verbose_name = _("测验")
        verbose_name_plural = _("测验")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def is_open(self, now=None):
        now = now or timezone.now()
        if not self.live:
            return False
        if self.available_from and now < self.available_from:
            return False
        return not (self.available_until and now >= self.available_until)

    @property
    def time_limit(self):
        return timedelta(minutes=self.time_limit_minutes) if self.time_limit_minutes else None

    def passes(self, score) -> bool:
        """The pass rule of an attempt's score: final (not None: nothing awaits marking) and at
        least the pass mark. Grading and regrading both ask it."""
        return score is not None and score >= Decimal(self.pass_mark)


class QuizDraw(Orderable):
    """Draw ``count`` random questions from ``category`` (and its sub-categories)."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="draws")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=_("分类")
    )
    count = models.PositiveIntegerField(_("抽题数"), default=5, validators=[MinValueValidator(1)])
    include_subcategories = models.BooleanField(_("包含子分类"), default=True)

    panels = [
        FieldRowPanel(
            [FieldPanel("category"), FieldPanel("count"), FieldPanel("include_subcategories")]
        )
    ]

    def clean(self):
        super().clean()
        quiz = getattr(self, "quiz", None)
        if quiz is not None and self.category_id and self.category.bank_id != quiz.bank_id:
            raise ValidationError(
                {
                    "category": _("分类“%(category)s”属于题库“%(bank)s”，不属于本测验的题库。")
                    % {"category": self.category.path, "bank": self.category.bank}
                }
            )

    class Meta(Orderable.Meta):
        verbose_name = _("抽题规则")
        verbose_name_plural = _("抽题规则")


class Attempt(models.Model):
    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    GRADED = "graded"
    STATUS_CHOICES = [
        (IN_PROGRESS, _("作答中")),
        (PENDING, _("待阅卷")),
        (GRADED, _("已评分")),
    ]

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("测验")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("学员"),
    )
    number = models.PositiveIntegerField(_("第几次"))
    status = models.CharField(_("状态"), max_length=12, choices=STATUS_CHOICES, default=IN_PROGRESS)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("及格"), default=False)
    seed = models.BigIntegerField(default=0, editable=False)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    deadline = models.DateTimeField(_("截止时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    graded_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    late_submission_ignored = models.BooleanField(default=False, editable=False)
    # "Try this quiz" from the admin (quizzes.attempts.start_trial_attempt): a trainer's
    # attempt outside the rules, never counted (results, statistics, completion, attempts left).
    is_trial = models.BooleanField(_("试做"), default=False, editable=False)

    class Meta:
        verbose_name = _("作答记录")
        verbose_name_plural = _("作答记录")
        ordering = ["-started_at"]
        permissions = [
            ("view_all_results", _("可查看他人的测验成绩")),
            ("mark_attempt", _("可批阅论述题")),
            ("regrade_attempts", _("可在更正答案后重新评分")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="quizzes_unique_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=Q(status="in_progress"),
                name="quizzes_one_attempt_in_progress",
            ),
        ]
        indexes = [models.Index(fields=["user", "quiz", "status"])]

    def __str__(self):
        return f"{self.quiz} #{self.number} ({self.user})"

    @property
    def is_finished(self):
        return self.status != self.IN_PROGRESS

    def answers_visible(self):
        """May the learner see the review of this attempt (which questions were right)?"""
        return self.is_finished and self.quiz.show_answers != Quiz.SHOW_NEVER

    def answer_key_withheld(self):
        """Are the correct answers (and feedback, explanations) withheld from the learner now?

        The one rule of review visibility. A quiz that leads to a certificate (a course quiz)
        with ``hold_answer_key`` shows its key only when the learner can no longer be
        examined on it in their current cycle of the course: once they have passed it (no
        further attempt may then be started, ``quizzes.attempts.passed_in_cycle``). Never
        while an attempt of it is in progress, and never after a fail, even the last attempt
        allowed: an administrator may grant more attempts (a higher ``max_attempts``), whose
        papers are drawn from the same bank. A recertification or a revocation opens a new
        cycle, and an old pass then no longer opens the key. The learner still sees which
        questions were right or wrong, and the lessons to review.
        """
        quiz = self.quiz
        if self.is_trial or not (quiz.course_id and quiz.hold_answer_key):
            return False
        from .attempts import cycle_attempts, cycle_since, passed_in_cycle

        mine = cycle_attempts(self.quiz_id, self.user_id)
        if mine.filter(status=Attempt.IN_PROGRESS).exists():
            return True
        return not passed_in_cycle(quiz, self.user, cycle_since(quiz, self.user))

    def seconds_left(self, now=None):
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - (now or timezone.now())).total_seconds()))


class Response(models.Model):
    """One question of an attempt's paper: its position, choice order and the answer."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    # The version of the question the paper showed (filled when the paper is drawn), and the
    # version whose answer key scored it (the same, until a regrade to a corrected key).
    version = models.ForeignKey(
        "QuestionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    graded_version = models.ForeignKey(
        "QuestionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField()
    choice_order = models.JSONField(default=list, blank=True)
    answer = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    checked = models.BooleanField(default=False)
    # "Flag for review" (as in Moodle): the learner's own marker, listed at submit.
    flagged = models.BooleanField(_("标记待复查"), default=False)
    fraction = models.DecimalField(max_digits=7, decimal_places=5, null=True, blank=True)
    needs_marking = models.BooleanField(default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(null=True, blank=True)
    marker_comment = models.TextField(_("批阅意见"), blank=True)

    class Meta:
        verbose_name = _("作答")
        verbose_name_plural = _("作答")
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="quizzes_unique_response"),
            models.UniqueConstraint(
                fields=["attempt", "position"], name="quizzes_unique_response_position"
            ),
        ]

    def __str__(self):
        return f"{self.attempt_id}:{self.position}"

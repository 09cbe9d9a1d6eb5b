from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import LessonStreamBlock


class LearnerPageMixin:
    """Learner pages need a login; anonymous visitors go to the login page and come back.

    ``child_model`` lets routing fetch the specific child page in one query (Wagtail's default
    fetches the base page, then its specific row) and keeps the parent cached on it."""

    child_model = None

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().serve(request, *args, **kwargs)

    def route(self, request, path_components):
        model = self.child_model() if self.child_model else None
        if path_components and model is not None:
            child = model.objects.child_of(self).filter(slug=path_components[0]).first()
            if child is not None:
                child._cached_parent_obj = self
                return child.route(request, path_components[1:])
        return super().route(request, path_components)


class LoadedFromSourceMixin(models.Model):
    """Bookkeeping for ``load_curriculum``: which file a page came from, and the revision the
    loader last wrote. A page whose latest revision is not ``loader_revision`` was edited in the
    CMS since, and the loader leaves it alone unless forced."""

    source_path = models.CharField(_("来源文件"), max_length=255, blank=True, editable=False)
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    loader_revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def edited_since_load(self):
        return self.latest_revision_id != self.loader_revision_id


class TrainingIndexPage(LearnerPageMixin, Page):
    """The training catalogue: the root of all courses."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CoursePage"]
    max_count = 1

    class Meta:
        verbose_name = _("培训首页")
        verbose_name_plural = _("培训首页")

    @staticmethod
    def child_model():
        return CoursePage

    def courses(self):
        return CoursePage.objects.child_of(self).live().order_by("path")

    def get_context(self, request, *args, **kwargs):
        from .learning import index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(index_context(self, request))
        return context


class CoursePage(LearnerPageMixin, LoadedFromSourceMixin, Page):
    CERTIFICATE_LANGUAGES = [("zh", _("中文")), ("bilingual", _("中英双语"))]

    code = models.CharField(_("课程代码"), max_length=20, unique=True)
    summary = models.TextField(_("简介"), max_length=500)
    objectives = models.TextField(_("学习目标"), blank=True, help_text=_("每行一条。"))
    intro = RichTextField(_("课程介绍"), blank=True)
    estimated_minutes = models.PositiveIntegerField(_("预计学习时长（分钟）"), default=60)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, default=1)
    required_for_authorisation = models.BooleanField(
        _("上岗必修"), default=True, help_text=_("持有本课程的有效证书才能上岗。")
    )
    prerequisites = ParentalManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks", verbose_name=_("先修课程")
    )
    quiz_after_lessons = models.BooleanField(
        _("读完全部课文后开放测验"),
        default=True,
        help_text=_("开启后，学员须读完本课程全部课文才能开始结业测验。"),
    )
    certificate_validity_days = models.PositiveIntegerField(_("证书有效期（天）"), default=730)
    certificate_language = models.CharField(
        _("证书语言"), max_length=10, choices=CERTIFICATE_LANGUAGES, default="zh"
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("封面图片"),
    )
    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("code"),
                FieldPanel("summary"),
                FieldPanel("objectives"),
                FieldPanel("intro"),
            ],
            heading=_("课程内容"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("estimated_minutes"),
                FieldPanel("hours"),
                FieldPanel("required_for_authorisation"),
                FieldPanel("prerequisites"),
                FieldPanel("quiz_after_lessons"),
                FieldPanel("certificate_validity_days"),
                FieldPanel("certificate_language"),
                FieldPanel("cover_image"),
            ],
            heading=_("设置"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("code"),
        index.SearchField("summary"),
        index.FilterField("required_for_authorisation"),
    ]
    parent_page_types = ["courses.TrainingIndexPage"]
    subpage_types = ["courses.LessonPage"]

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def objectives_list(self):
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]

    @staticmethod
    def child_model():
        return LessonPage

    def lessons(self):
        return LessonPage.objects.child_of(self).live().order_by("path")

    def get_context(self, request, *args, **kwargs):
        from .learning import course_context

        context = super().get_context(request, *args, **kwargs)
        context.update(course_context(self, request))
        return context


class LessonPage(LearnerPageMixin, LoadedFromSourceMixin, Page):
    summary = models.TextField(_("摘要"), blank=True, max_length=500)
    estimated_minutes = models.PositiveIntegerField(_("预计学习时长（分钟）"), default=15)
    body = StreamField(LessonStreamBlock(), verbose_name=_("正文"), blank=True)
    sources = models.TextField(
        _("资料来源"), blank=True, help_text=_("每行一条：法律条文或公开指南。")
    )
    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("estimated_minutes"),
        FieldPanel("body"),
        FieldPanel("sources"),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("课文")
        verbose_name_plural = _("课文")

    def __str__(self):
        return self.title

    def serve(self, request, *args, **kwargs):
        from . import snapshots
        from .learning import lesson_context, lesson_shared, locked_response

        if not request.user.is_authenticated:
            return super().serve(request, *args, **kwargs)  # login redirect
        shared = getattr(self, "_shared", None)  # set when served from a snapshot
        if shared is None:
            shared = lesson_shared(self, request)
            snapshots.store(request, self, shared)
        self._learning = lesson_context(self, request, shared=shared)
        if self._learning.get("missing_prerequisites") and not self._learning["is_staff"]:
            return locked_response(self, request, self._learning)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from .learning import lesson_context

        context = super().get_context(request, *args, **kwargs)
        learning = getattr(self, "_learning", None)
        context.update(learning if learning is not None else lesson_context(self, request))
        return context

    @property
    def sources_list(self):
        return [line.strip() for line in self.sources.splitlines() if line.strip()]


class Enrollment(models.Model):
    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    SOURCE_CHOICES = [("self", _("自主报名")), ("wave", _("培训批次")), ("admin", _("管理员"))]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("学员"),
    )
    course = models.ForeignKey(
        CoursePage, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("课程")
    )
    source = models.CharField(_("来源"), max_length=10, choices=SOURCE_CHOICES, default="self")
    enrolled_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    last_lesson = models.ForeignKey(
        LessonPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The learning cycle (courses.enrolment.start_new_cycle): a recertification or a
    # revocation opens a new cycle, and only a quiz passed since its start completes it.
    cycle_started_at = models.DateTimeField(_("本轮开始时间"), null=True, blank=True)
    previous_completed_at = models.DateTimeField(_("上一轮完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="unique_enrollment")]
        indexes = [models.Index(fields=["course", "completed_at"])]

    def __str__(self):
        return f"{self.user} → {self.course_id}"

    @property
    def is_complete(self):
        return self.completed_at is not None


class LessonProgress(models.Model):
    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(LessonPage, on_delete=models.CASCADE, related_name="progress")
    course = models.ForeignKey(CoursePage, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(_("完成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("学习进度")
        verbose_name_plural = _("学习进度")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="unique_lesson_progress")
        ]
        indexes = [models.Index(fields=["user", "course"])]

    def __str__(self):
        return f"{self.user} ✓ {self.lesson_id}"

"""One model for every file built or read in the background: imports, roster exports,
certificate batches (and later activation slips).

A job has a ``kind`` (``"staff_import"``, ``"question_import"``, …) whose handler, registered
with ``lms.jobs.tasks.register``, does the work; the job only knows its state, its progress,
its file, who asked for it and when it expires. Kind-specific input goes into ``params`` and
kind-specific outcome into ``result`` (both JSON), so the kinds keep their code where it is.
"""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_LIFETIME = datetime.timedelta(days=7)


def private_storage():
    return storages["private"]


def job_upload_to(instance, filename):
    return f"jobs/{instance.kind}/{timezone.now():%Y/%m}/{filename}"


def default_expiry():
    days = getattr(settings, "FILE_JOB_LIFETIME_DAYS", None)
    return timezone.now() + (datetime.timedelta(days=days) if days else DEFAULT_LIFETIME)


class FileJobQuerySet(models.QuerySet):
    def of_kind(self, *kinds):
        return self.filter(kind__in=kinds)

    def expired(self, now=None):
        return self.filter(expires_at__lt=now or timezone.now())


class FileJob(models.Model):
    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        READY = "ready", _("待确认")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")  # by its requester, before it ran

    ACTIVE_STATES = (State.PENDING, State.RUNNING)

    kind = models.CharField(_("类型"), max_length=40, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    step = models.CharField(_("当前步骤"), max_length=100, blank=True)
    progress = models.PositiveIntegerField(_("已处理"), default=0)
    total = models.PositiveIntegerField(_("总数"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="file_jobs",
        verbose_name=_("申请人"),
    )
    district = models.ForeignKey(
        "lms.District",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("区"),
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    file = models.FileField(
        _("文件"), storage=private_storage, upload_to=job_upload_to, blank=True, max_length=255
    )
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), default=default_expiry)

    objects = FileJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [models.Index(fields=["kind", "requested_by", "-created_at"])]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.get_state_display()})"

    # -- progress --------------------------------------------------------------------------

    @property
    def cache_key(self):
        return f"jobs:progress:{self.pk}"

    @property
    def percent(self):
        if self.state == self.State.DONE:
            return 100
        return min(100, self.progress * 100 // self.total) if self.total else 0

    @property
    def is_active(self):
        return self.state in self.ACTIVE_STATES

    def _save_now(self, **fields):
        """Write ``fields`` at once, outside any caller's transaction where possible; a copy
        in the cache makes progress visible while a transaction is still open."""
        for name, value in fields.items():
            setattr(self, name, value)
        type(self).objects.filter(pk=self.pk).update(**fields)
        cache.set(self.cache_key, self.snapshot(), timeout=3600)

    def start(self, step=""):
        self._save_now(
            state=self.State.RUNNING, step=str(step), started_at=timezone.now(), error=""
        )

    def report(self, progress, total=None, step=None):
        fields = {"progress": progress}
        if total is not None:
            fields["total"] = total
        if step is not None:
            fields["step"] = str(step)
        self._save_now(**fields)

    def finish(self, state=State.DONE, **fields):
        fields.setdefault("step", "")
        self._save_now(state=state, finished_at=timezone.now(), **fields)

    def fail(self, message):
        self.finish(state=self.State.FAILED, error=str(message)[:2000])

    def snapshot(self):
        """What the progress endpoint returns (cache first: see ``_save_now``)."""
        return {
            "id": self.pk,
            "state": self.state,
            "state_label": str(self.State(self.state).label),
            "step": self.step,
            "progress": self.progress,
            "total": self.total,
            "percent": self.percent,
            "error": self.error,
        }

    def live_snapshot(self):
        cached = cache.get(self.cache_key)
        mine = self.snapshot()
        if (
            cached
            and cached.get("state") in self.ACTIVE_STATES
            and mine["state"] in (self.ACTIVE_STATES)
        ):
            return cached
        return mine

    # -- files -----------------------------------------------------------------------------

    def delete_file(self):
        if self.file:
            self.file.delete(save=False)
            type(self).objects.filter(pk=self.pk).update(file="")


# -- one kind of job as its own model (a proxy): the kinds keep their code where it is -----------


class KindManager(models.Manager):
    """The jobs of one kind (the manager of a kind's proxy model)."""

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.model.KIND)


def param_property(name, default=None, bag="params"):
    """A value kept in the job's ``params`` (or ``result``) JSON, read and written like a
    field (also as a keyword of the model's constructor)."""

    def getter(self):
        return getattr(self, bag).get(name, default)

    def setter(self, value):
        getattr(self, bag)[name] = value

    return property(getter, setter)


def result_property(name, default=None):
    return param_property(name, default, bag="result")


class KindJobMixin:
    """For a kind's proxy model of ``FileJob`` (``class RosterExport(KindJobMixin, FileJob)``
    with ``Meta.proxy = True`` and ``objects = KindManager()``): ``KIND`` names the kind;
    ``status`` is the job's state (the same words: pending, running, done, failed);
    ``FIELD_MAP`` maps the names of values kept in ``params``/``result`` to those columns for
    ``save(update_fields=...)``."""

    KIND = ""
    PENDING, RUNNING, DONE, FAILED = (
        FileJob.State.PENDING,
        FileJob.State.RUNNING,
        FileJob.State.DONE,
        FileJob.State.FAILED,
    )
    FIELD_MAP = {"status": "state"}

    @property
    def status(self):
        return self.state

    @status.setter
    def status(self, value):
        self.state = value

    def get_status_display(self):
        return self.get_state_display()

    def save(self, *args, update_fields=None, **kwargs):
        self.kind = self.KIND
        if update_fields is not None:
            update_fields = {self.FIELD_MAP.get(name, name) for name in update_fields}
        super().save(*args, update_fields=update_fields, **kwargs)

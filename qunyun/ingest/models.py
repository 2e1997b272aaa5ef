"""One run of an importer (what was read, what was added, what went wrong), and the
forums a workspace syncs on a schedule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qunyun.scheduling.models import Schedule
from qunyun.workspaces.models import Workspace


class ImportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="import_runs", verbose_name=_("workspace")
    )
    file_name = models.CharField(_("file"), max_length=1024)
    format = models.CharField(_("format"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    records_read = models.PositiveIntegerField(_("records read"), default=0)
    activities_added = models.PositiveIntegerField(_("activities added"), default=0)
    activities_skipped = models.PositiveIntegerField(_("already present"), default=0)
    members_added = models.PositiveIntegerField(_("members added"), default=0)
    channels_added = models.PositiveIntegerField(_("channels added"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    #: Where an uploaded file waits for the worker (deleted when the import ends).
    stored_file = models.CharField(max_length=1024, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    # The process that runs it: a run still "running" whose process is gone was killed.
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.IntegerField(_("process"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("started by"),
    )

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.format} {self.file_name} ({self.get_status_display()})"

    @property
    def rate(self) -> float | None:
        """Records read per second."""
        if not self.duration_seconds:
            return None
        return self.records_read / self.duration_seconds


class Forum(models.Model):
    """A Discourse forum synced into its workspace on a schedule (``qunyun forum add``).

    The API key is kept only as a Fernet token (:mod:`qunyun.encryption`): the database,
    a backup of it and the back office see ciphertext; no page or command shows it back.
    """

    #: One per workspace: post ids of two forums would collide (docs/import-formats.md).
    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="forum", verbose_name=_("workspace")
    )
    base_url = models.CharField(_("forum address"), max_length=500)
    api_username = models.CharField(_("acting user"), max_length=150, default="system")
    api_key_sealed = models.TextField(_("API key (encrypted)"), editable=False)
    #: The schedule that syncs it; removed with the forum. Null once an operator removed
    #: the schedule itself (the forum is then synced only when asked).
    schedule = models.OneToOneField(
        Schedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forum",
        verbose_name=_("schedule"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        ordering = ["workspace_id"]

    def __str__(self) -> str:
        return self.base_url

"""Schedules and the runs they made: the rows that make each due run happen once.

A run is claimed by inserting its row, unique per (schedule, due time), before its task
is queued: however many processes notice that a run is due, one insert wins and the
others find the row taken (DESIGN.md §5).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qunyun.workspaces.models import Workspace


class Schedule(models.Model):
    """One job on a cron timetable, for one workspace or for the whole installation."""

    job = models.CharField(_("job"), max_length=64)
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("workspace"),
    )
    cron = models.CharField(_("timetable (cron)"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["workspace_id", "job", "id"]

    def __str__(self) -> str:
        where = self.workspace.slug if self.workspace is not None else "*"
        return f"{self.job} @ {where} ({self.cron})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class ScheduledRun(models.Model):
    """One due run of a schedule: claimed, queued, then its start, end and outcome."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="runs", verbose_name=_("schedule")
    )
    due_at = models.DateTimeField(_("due"))
    requested = models.BooleanField(_("run now"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    claimed_at = models.DateTimeField(_("claimed"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker_host = models.CharField(_("worker host"), max_length=255, blank=True)
    worker_pid = models.IntegerField(_("worker process"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="one_run_per_due_time")
        ]
        indexes = [models.Index(fields=["status", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.schedule.job} {self.due_at:%Y-%m-%d %H:%M} {self.status}"


class Heartbeat(models.Model):
    """A background process saying it is alive: the task worker and the scheduler beat
    every few seconds, so ``qunyun status`` and ``/healthz`` can tell a dead one."""

    role = models.CharField(_("role"), max_length=16)
    host = models.CharField(_("host"), max_length=255)
    pid = models.IntegerField(_("process"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "host", "pid"], name="one_heartbeat_per_process"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.host}:{self.pid}"

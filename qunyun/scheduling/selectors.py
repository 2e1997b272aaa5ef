"""Reads of the scheduler: schedules with their last and next run, runs, failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from qunyun.scheduling.jobs import JOBS
from qunyun.scheduling.models import RunStatus, Schedule, ScheduledRun
from qunyun.scheduling.timetable import next_slot, zone_of
from qunyun.workspaces.models import Workspace


@dataclass(frozen=True)
class ScheduleView:
    schedule: Schedule
    label: str
    last_run: ScheduledRun | None
    next_due: datetime | None


def last_run(schedule: Schedule) -> ScheduledRun | None:
    """The latest run of ``schedule`` (by due time; a run-now request counts too)."""
    return schedule.runs.order_by("-due_at", "-id").first()


def next_due(schedule: Schedule, now: datetime) -> datetime | None:
    """When ``schedule`` runs next after ``now``; None when it is off or runs on demand."""
    if not schedule.cron or not schedule.enabled:
        return None
    return next_slot(schedule.cron, zone_of(schedule.workspace), now)


def schedules_overview(
    workspace: Workspace | None = None, *, everything: bool = False
) -> list[ScheduleView]:
    """Each schedule (of ``workspace`` and the installation's, or all of them with
    ``everything``) with its latest run and its next slot."""
    schedules: QuerySet[Schedule] = Schedule.objects.select_related("workspace")
    if not everything:
        schedules = schedules.filter(workspace__in=[workspace] if workspace else []) | (
            schedules.filter(workspace=None)
        )
    now = timezone.now()
    views = []
    for schedule in schedules.order_by("workspace_id", "job", "id"):
        job = JOBS.get(schedule.job)
        views.append(
            ScheduleView(
                schedule=schedule,
                label=str(job.label) if job else schedule.job,
                last_run=last_run(schedule),
                next_due=next_due(schedule, now),
            )
        )
    return views


def recent_runs(schedule: Schedule, limit: int = 20) -> QuerySet[ScheduledRun]:
    return schedule.runs.order_by("-due_at", "-id")[:limit]


def failed_runs_since(since: timedelta = timedelta(days=1)) -> QuerySet[ScheduledRun]:
    """Runs that failed within ``since`` (a day by default), newest first."""
    return (
        ScheduledRun.objects.filter(status=RunStatus.FAILED, ended_at__gte=timezone.now() - since)
        .select_related("schedule", "schedule__workspace")
        .order_by("-ended_at")
    )

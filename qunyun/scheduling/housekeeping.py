"""Keep the scheduler's own history from growing without end.

A forum synced every ten minutes leaves 144 run rows a day, and each run a task row in
django-tasks-db's table; an installation left running for months would carry hundreds of
thousands of rows nobody reads. Rows of runs and tasks that ended more than
``QUNYUN_RUN_HISTORY_DAYS`` ago go; the newest timed run of each schedule stays whatever
its age, because the scheduler reads it to know which slot came last (a missed slot runs
once, not again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qunyun.scheduling.models import RunStatus, ScheduledRun


@dataclass(frozen=True)
class Pruned:
    runs: int
    tasks: int


ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def do_prune_run_history(now: datetime | None = None) -> Pruned:
    """Delete the rows of runs and tasks that ended before the kept history."""
    before = (now or timezone.now()) - timedelta(days=settings.RUN_HISTORY_DAYS)
    newest = (
        ScheduledRun.objects.filter(requested=False)
        .values("schedule")
        .annotate(last=Max("due_at"))
        .values_list("schedule", "last")
    )
    old = ScheduledRun.objects.filter(status__in=ENDED, ended_at__lt=before)
    keep = [
        pk
        for schedule, last in newest
        for pk in old.filter(schedule=schedule, due_at=last).values_list("pk", flat=True)
    ]
    runs, _ = old.exclude(pk__in=keep).delete()
    tasks, _ = DBTaskResult.objects.filter(
        status__in=(TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED),
        finished_at__lt=before,
    ).delete()
    return Pruned(runs=runs, tasks=tasks)

"""Running a claimed run: the body of the scheduler's one task.

It takes the run from queued to running in one conditional update, so a second delivery
of the same task (a worker restarted mid-run, a queue that redelivers) finds it taken
and does nothing; then it calls the job and keeps how it ended on the run's row.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

from django.utils import timezone

from qunyun.errors import QunyunError
from qunyun.scheduling.jobs import job_named
from qunyun.scheduling.models import RunStatus, ScheduledRun


@dataclass(frozen=True)
class RunOutcome:
    status: str
    result: object = None
    error: str = ""


def do_run_scheduled(run: ScheduledRun) -> RunOutcome:
    """Run the job of ``run`` if no one has started it yet, and keep how it ended."""
    started = ScheduledRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    if not started:
        run.refresh_from_db()
        return RunOutcome(run.status, run.result, run.error)
    schedule = run.schedule
    kwargs = dict(schedule.params)
    if schedule.workspace_id is not None:
        kwargs["workspace_id"] = schedule.workspace_id
    try:
        result = job_named(schedule.job).task.call(**kwargs)
    except QunyunError as error:  # its message is written for the operator, translated
        outcome = RunOutcome(RunStatus.FAILED, None, str(error)[:2000])
    except Exception as error:  # noqa: BLE001 — any failure is the run's outcome
        outcome = RunOutcome(RunStatus.FAILED, None, f"{type(error).__name__}: {error}"[:2000])
    else:
        outcome = RunOutcome(RunStatus.SUCCEEDED, json.loads(json.dumps(result, default=str)))
    ScheduledRun.objects.filter(pk=run.pk).update(
        status=outcome.status, ended_at=timezone.now(), result=outcome.result, error=outcome.error
    )
    return outcome

"""The jobs a schedule can run, registered by the apps that own them.

An app whose work runs on its own registers a :class:`Job` from its ``AppConfig.ready``
(``privacy`` its retention purge, ``backups`` the daily backup, ``ingest`` the refresh
after new activities); wave 2's apps add theirs the same way. The scheduler knows them
only through this registry, so it never imports the apps above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_tasks.base import Task

from qunyun.errors import QunyunError


class ScheduleError(QunyunError, ValueError):
    """A schedule that cannot be: an unknown job, a bad timetable, a missing workspace."""

    code = "bad_schedule"
    http_status = 400


@dataclass(frozen=True)
class Job:
    """One kind of scheduled work.

    ``task`` is called with the schedule's parameters (and ``workspace_id`` when the job
    is ``per_workspace``); what it returns is kept on the run. A ``default_cron`` makes
    the job's installation-wide schedule exist from the first start (edit or disable it,
    it is not recreated); ``on_demand`` jobs have no timetable and run when asked.
    """

    name: str
    label: Promise | str
    task: Task[Any, Any]
    per_workspace: bool = False
    default_cron: str = ""
    on_demand: bool = False


JOBS: dict[str, Job] = {}


def register_job(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def job_named(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise ScheduleError(
            _("There is no job “%(name)s”; the jobs are: %(names)s.")
            % {"name": name, "names": ", ".join(sorted(JOBS))}
        ) from None

"""Writes of the scheduler: schedules added and removed, due runs claimed, runs run.

``do_claim_due_runs`` is what every ticking process calls (``qunyun scheduler``, which
``qunyun serve`` starts): for each schedule whose latest slot has no run yet it inserts
the run's row — unique per (schedule, due time), so of several processes one wins — and
queues the run's task when that insert commits. A machine that was down for a day finds
only the latest slot of each schedule unclaimed: the job runs once, not once per missed
slot. The queued task runs it (:mod:`qunyun.scheduling.running`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.audit.models import AuditEvent
from qunyun.scheduling.jobs import JOBS, ScheduleError, job_named
from qunyun.scheduling.models import Schedule, ScheduledRun
from qunyun.scheduling.tasks import run_scheduled
from qunyun.scheduling.timetable import checked_cron, last_slot, zone_of
from qunyun.workspaces.models import Workspace


@transaction.atomic
def do_add_schedule(
    job_name: str,
    *,
    cron: str,
    workspace: Workspace | None = None,
    params: dict[str, object] | None = None,
    acting_user: User | None = None,
) -> Schedule:
    """A new schedule of ``job_name``; its first run is the first slot after now."""
    job = job_named(job_name)
    if job.per_workspace and workspace is None:
        raise ScheduleError(
            _("The job “%(name)s” runs for one workspace: name it (--workspace).")
            % {"name": job.name}
        )
    if not job.per_workspace and workspace is not None:
        raise ScheduleError(
            _("The job “%(name)s” runs for the whole installation, not for one workspace.")
            % {"name": job.name}
        )
    schedule = Schedule.objects.create(
        job=job.name, workspace=workspace, cron=checked_cron(cron), params=params or {}
    )
    record_event(
        AuditAction.SCHEDULE_ADDED,
        workspace=workspace,
        actor=acting_user,
        target=f"schedule:{schedule.pk}",
        job=job.name,
        cron=schedule.cron,
    )
    return schedule


@transaction.atomic
def do_remove_schedule(schedule: Schedule, *, acting_user: User | None = None) -> None:
    """Delete ``schedule`` and its runs' rows (the audit log keeps that it existed)."""
    record_event(
        AuditAction.SCHEDULE_REMOVED,
        workspace=schedule.workspace,
        actor=acting_user,
        target=f"schedule:{schedule.pk}",
        job=schedule.job,
        cron=schedule.cron,
    )
    schedule.delete()


@transaction.atomic
def do_set_schedule(
    schedule: Schedule,
    *,
    cron: str | None = None,
    enabled: bool | None = None,
    acting_user: User | None = None,
) -> Schedule:
    """Change a schedule's timetable or switch it on or off."""
    if cron is not None:
        schedule.cron = checked_cron(cron)
    if enabled is not None:
        schedule.enabled = enabled
    schedule.save(update_fields=["cron", "enabled"])
    record_event(
        AuditAction.SCHEDULE_CHANGED,
        workspace=schedule.workspace,
        actor=acting_user,
        target=f"schedule:{schedule.pk}",
        cron=schedule.cron,
        enabled=schedule.enabled,
    )
    return schedule


def do_install_default_schedules() -> list[Schedule]:
    """Create the installation-wide schedule of each job that has a default timetable,
    once: a default the operator removed is not brought back (the audit log remembers)."""
    made = []
    for job in JOBS.values():
        if job.per_workspace or not job.default_cron:
            continue
        if Schedule.objects.filter(job=job.name, workspace=None).exists():
            continue
        removed = AuditEvent.objects.filter(
            action=AuditAction.SCHEDULE_REMOVED, workspace=None, params__job=job.name
        )
        if not removed.exists():
            made.append(Schedule.objects.create(job=job.name, cron=job.default_cron))
    return made


def do_claim_due_runs(now: datetime | None = None) -> list[ScheduledRun]:
    """Claim the latest due slot of every enabled schedule that has no run for it yet,
    and queue each claimed run; return the runs this call claimed (the others' are
    theirs)."""
    now = now or timezone.now()
    claimed = []
    schedules = (
        Schedule.objects.filter(enabled=True)
        .exclude(cron="")
        .select_related("workspace")
        .annotate(last_due=Max("runs__due_at", filter=Q(runs__requested=False)))
    )
    for schedule in schedules:
        if schedule.job not in JOBS:
            continue  # its app is not installed in this process
        due = last_slot(schedule.cron, zone_of(schedule.workspace), now)
        if due <= max(filter(None, [schedule.last_due, schedule.created_at])):
            continue
        run = _claim(schedule, due, requested=False)
        if run is not None:
            claimed.append(run)
    return claimed


def do_run_now(schedule: Schedule, *, acting_user: User | None = None) -> ScheduledRun:
    """Queue a run of ``schedule`` at once, outside its timetable (``run-now``)."""
    with transaction.atomic():
        record_event(
            AuditAction.SCHEDULE_RUN_REQUESTED,
            workspace=schedule.workspace,
            actor=acting_user,
            target=f"schedule:{schedule.pk}",
            job=schedule.job,
        )
        run = _claim(schedule, timezone.now(), requested=True)
    if run is None:  # the same microsecond twice: the earlier request stands
        raise ScheduleError(_("A run of this schedule was just requested."))
    return run


def do_request_run_soon(
    job_name: str, workspace: Workspace, *, within: timedelta = timedelta(minutes=1)
) -> ScheduledRun | None:
    """Ask for one run of an on-demand job for ``workspace`` at the next boundary of
    ``within`` (a minute by default): however many times it is asked before then, it runs
    once (the debounce of the refresh after pushed activities). Returns the run when this
    call claimed it, ``None`` when an earlier call already had."""
    job = job_named(job_name)
    schedule, _created = Schedule.objects.get_or_create(
        job=job.name, workspace=workspace, cron="", defaults={"params": {}}
    )
    step = within.total_seconds()
    now = timezone.now()
    due = datetime.fromtimestamp((now.timestamp() // step + 1) * step, tz=now.tzinfo)
    return _claim(schedule, due, requested=False)


def _claim(schedule: Schedule, due: datetime, *, requested: bool) -> ScheduledRun | None:
    """Insert the run of ``schedule`` due at ``due``; ``None`` if another process has."""
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(schedule=schedule, due_at=due, requested=requested)
            transaction.on_commit(lambda: _queue(run))
    except IntegrityError:
        return None
    return run


def _queue(run: ScheduledRun) -> None:
    if run.due_at > timezone.now() and default_task_backend.supports_defer:
        run_scheduled.using(run_after=run.due_at).enqueue(run.pk)
    else:
        run_scheduled.enqueue(run.pk)

"""What every background process checks when it starts (``serve``, ``qunyun worker``,
``qunyun scheduler``, ``qunyun status``): runs left "running" by a process that is gone
are marked interrupted. Apps register their check here (ingest its import runs); the
scheduler's own runs are checked by :func:`do_mark_interrupted_scheduled_runs`."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.scheduling.models import RunStatus, ScheduledRun

STARTUP_CHECKS: list[Callable[[], int]] = []


def register_startup_check(check: Callable[[], int]) -> Callable[[], int]:
    if check not in STARTUP_CHECKS:
        STARTUP_CHECKS.append(check)
    return check


def process_is_gone(host: str, pid: int | None) -> bool:
    """Whether ``pid`` on ``host`` has ended; only this machine's processes can be told."""
    if not host or pid is None or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def do_mark_interrupted_scheduled_runs() -> int:
    """Scheduled runs left running by a worker of this machine that is gone: failed, with
    the reason (their next slot runs as usual)."""
    marked = 0
    running = ScheduledRun.objects.filter(status=RunStatus.RUNNING).exclude(worker_pid=None)
    for run in running:
        if process_is_gone(run.worker_host, run.worker_pid):
            marked += ScheduledRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED,
                ended_at=timezone.now(),
                error=_("Interrupted: the worker running it ended before it finished."),
            )
    return marked


register_startup_check(do_mark_interrupted_scheduled_runs)


def run_startup_checks() -> int:
    """Run every registered check; return how many runs they marked interrupted."""
    return sum(check() for check in STARTUP_CHECKS)

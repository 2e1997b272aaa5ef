"""The task worker rides out a busy or lost database instead of exiting.

django-tasks-db's worker loop treats "database is locked" while it *looks* for a task as
a reason to look again, but the lock can also strike while the claim's transaction
begins, or while the outcome of a finished task is written — and then the worker exits,
and uploads stay queued. PostgreSQL that restarts or drops an idle connection ends it the
same way. :class:`SurvivingWorker` is that worker with one change: such an error (an
``OperationalError`` or ``InterfaceError``: a lock that outlasted SQLite's busy timeout,
a connection that went away) is logged, waited out with a growing pause (half a second,
doubling, at most :data:`LONGEST_PAUSE`), and tried again; the outcome of a task that
ran is written as soon as the database lets it, never lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

T = TypeVar("T")

#: Errors that pass: the lock is released, the server comes back.
PASSING_ERRORS = (OperationalError, InterfaceError)
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 30.0

logger = logging.getLogger(__name__)


class Backoff:
    """Pauses between tries that double from :data:`FIRST_PAUSE` up to :data:`LONGEST_PAUSE`."""

    def __init__(self) -> None:
        self.pause = FIRST_PAUSE
        self.last_try = time.monotonic()

    def wait(self, error: Exception, doing: str) -> None:
        if time.monotonic() - self.last_try > 2 * LONGEST_PAUSE:
            self.pause = FIRST_PAUSE  # a new spell of trouble after a quiet while
        logger.warning(
            "the worker could not %s (%s: %s); trying again in %.1f s",
            doing, type(error).__name__, str(error).strip(), self.pause,
        )  # fmt: skip
        # A connection that failed is closed here (Django marks it unusable), so the next
        # try opens a new one; a healthy SQLite connection is kept.
        close_old_connections()
        time.sleep(self.pause)
        self.pause = min(self.pause * 2, LONGEST_PAUSE)
        self.last_try = time.monotonic()


def patiently(call: Callable[[], T], doing: str) -> T:
    """``call()``, tried again after each passing database error until it succeeds."""
    backoff = Backoff()
    while True:
        try:
            return call()
        except PASSING_ERRORS as error:
            backoff.wait(error, doing)


class SurvivingWorker(Worker):
    """django-tasks-db's worker, which waits out a busy or lost database (module docs)."""

    def run(self) -> None:
        backoff = Backoff()
        while self.running:
            try:
                super().run()
            except PASSING_ERRORS as error:
                self.startup_delay = False  # only the first start waits for the herd
                backoff.wait(error, "claim a task")
            else:
                return  # --batch found nothing more, or --max-tasks were run

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The task's outcome is written by these two methods of its row; on this one row
        # they wait for the database instead of giving up (the task ran: its result must
        # not be lost, nor the row left "running").
        for name, doing in (
            ("set_successful", "record a task's success"),
            ("set_failed", "record a task's failure"),
        ):
            write = getattr(db_task_result, name)
            setattr(db_task_result, name, _patient(write, doing))
        super().run_task(db_task_result)


def _patient(write: Callable[[object], None], doing: str) -> Callable[[object], None]:
    def patient_write(value: object) -> None:
        patiently(lambda: write(value), doing)

    return patient_write

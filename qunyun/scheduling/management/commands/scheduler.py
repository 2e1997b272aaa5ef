"""``qunyun scheduler``: look for due runs every few seconds and claim them.

The timing is APScheduler's (an interval job that never overlaps itself and runs once
after a pause, however many ticks it missed); what is due and who runs it is decided by
the claims in the database (:func:`qunyun.scheduling.actions.do_claim_due_runs`), so any
number of these processes, on any number of machines sharing one PostgreSQL, run each
due run once. ``qunyun serve`` starts one beside its task worker.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.scheduling.actions import do_claim_due_runs, do_install_default_schedules
from qunyun.scheduling.heartbeat import do_beat
from qunyun.scheduling.startup import run_startup_checks

logger = logging.getLogger(__name__)


def tick() -> int:
    """One look: claim and queue what is due; return how many runs this process claimed."""
    close_old_connections()
    try:
        do_beat("scheduler")
        return len(do_claim_due_runs())
    except Exception:  # a locked or unreachable database: the next tick tries again
        logger.exception("the scheduler could not claim due runs")
        return 0
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = "Claim and queue due scheduled runs until stopped (qunyun serve starts one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SCHEDULER_TICK_SECONDS,
            help="seconds between looks for due runs",
        )
        parser.add_argument("--once", action="store_true", help="look once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        do_install_default_schedules()
        run_startup_checks()
        if options["once"]:
            self.stdout.write(_("Claimed %(n)d due runs.") % {"n": tick()})
            return
        scheduler = BlockingScheduler(timezone=str(timezone.get_default_timezone()))
        scheduler.add_job(
            tick,
            IntervalTrigger(seconds=options["interval"]),
            next_run_time=timezone.now(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

        def stop(signum: int, frame: object) -> None:
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            _("Scheduler started; looking for due runs every %(s)g s.") % {"s": options["interval"]}
        )
        self.stdout.flush()
        scheduler.start()

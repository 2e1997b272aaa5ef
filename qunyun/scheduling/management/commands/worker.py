"""``qunyun worker``: the task worker (django-tasks-db's ``db_worker``) that survives a
busy or lost database, with a heartbeat.

The same options as ``db_worker``; the loop is :class:`SurvivingWorker`, which waits out
"database is locked" and a dropped connection instead of exiting. While it runs it beats
every few seconds so that ``qunyun status`` and ``/healthz`` can tell whether background
work is being done. ``qunyun serve`` starts this one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.translation import gettext as _
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from qunyun.scheduling.heartbeat import start_beating
from qunyun.scheduling.startup import run_startup_checks
from qunyun.scheduling.surviving_worker import SurvivingWorker, patiently


class Command(DbWorkerCommand):
    help = "Run background tasks (imports, syncs, scheduled runs) until stopped."

    def run_from_argv(self, argv: list[str]) -> None:
        # Before db_worker's parser, which would only say the backend is "not a database
        # backend".
        if settings.TASKS_BACKEND == "rq":
            self.stderr.write(
                _(
                    "The tasks are queued on Redis (QUNYUN_TASKS_BACKEND=rq): run "
                    "“qunyun rq_worker” instead of “qunyun worker”."
                )
            )
            sys.exit(2)
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        # db_worker's own handle, with the surviving loop in place of its Worker.
        self.configure_logging(options["verbosity"])
        queues = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queues:
            raise CommandError(_("--exclude-queues can only be used with --queue-name=*"))
        worker = SurvivingWorker(
            queue_names=queues,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        patiently(run_startup_checks, "mark interrupted runs")
        stop = start_beating("worker")
        try:
            if options["reload"] and not options["batch"]:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()  # only the reloaded child
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            stop.set()

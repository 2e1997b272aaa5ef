"""``qunyun worker``: the task worker (django-tasks-db's ``db_worker``) with a heartbeat.

The same options as ``db_worker``; while it runs, it beats every few seconds so that
``qunyun status`` and ``/healthz`` can tell whether background work is being done.
``qunyun serve`` starts this one.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from qunyun.scheduling.heartbeat import start_beating
from qunyun.scheduling.startup import run_startup_checks


class Command(DbWorkerCommand):
    help = "Run background tasks (imports, syncs, scheduled runs) until stopped."

    def handle(self, *args: Any, **options: Any) -> None:
        run_startup_checks()
        stop = start_beating("worker")
        try:
            super().handle(*args, **options)
        finally:
            stop.set()

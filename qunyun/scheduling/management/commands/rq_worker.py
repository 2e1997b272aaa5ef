"""``qunyun rq_worker``: the task worker on Redis (``QUNYUN_TASKS_BACKEND=rq``), with a
heartbeat.

django-rq's ``rqworker`` with what Qunyun's tasks need set by default: django-tasks-rq's
job class (which runs a Django task and keeps its result), RQ's scheduler (tasks queued
to run later, such as the debounced refresh after pushed activities, wait there), the
``default`` queue. Start any number, on any machines that reach the Redis server and the
database: RQ hands each job to one of them. ``qunyun serve`` starts one when the backend
is ``rq``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django_rq.management.commands.rqworker import Command as RqWorkerCommand

from qunyun.scheduling.heartbeat import start_beating
from qunyun.scheduling.startup import run_startup_checks
from qunyun.scheduling.surviving_worker import patiently


class Command(RqWorkerCommand):
    help = "Run background tasks from Redis (QUNYUN_TASKS_BACKEND=rq) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(job_class="django_tasks_rq.Job", with_scheduler=True)

    def handle(self, *queues: str, **options: Any) -> None:
        if settings.TASKS_BACKEND != "rq":
            raise CommandError(
                _("Tasks are queued in “%(backend)s”, not on Redis: set QUNYUN_TASKS_BACKEND=rq.")
                % {"backend": settings.TASKS_BACKEND}
            )
        patiently(run_startup_checks, "mark interrupted runs")
        stop = start_beating("worker")
        try:
            super().handle(*(queues or ["default"]), **options)
        finally:
            stop.set()

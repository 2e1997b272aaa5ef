"""``qunyun serve``: the web server for one machine, with a background worker beside it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Start Qunyun's web server (default 127.0.0.1:8000) and a task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background task worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if not options["no_worker"] and settings.TASKS_BACKEND == "database":
            # Imports uploaded in the browser run here, outside the web process.
            worker = subprocess.Popen(  # noqa: S603 — our own interpreter and command
                [sys.executable, "-m", "qunyun", "db_worker", "--interval", "0.5"]
            )
            self.stdout.write(_("Background worker started (pid %(pid)d).") % {"pid": worker.pid})
        try:
            call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

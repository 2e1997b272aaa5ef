"""``qunyun serve``: the web server, with a background worker beside it.

By default the production server: gunicorn with several worker processes (DEBUG stays
off unless QUNYUN_DEBUG says otherwise; static files come through WhiteNoise). ``--dev``
runs Django's development server instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _stop_on_sigterm() -> None:
    """Turn SIGTERM (systemd, docker stop, kill) into the same clean stop as Ctrl-C.

    Without it the command dies at once and leaves gunicorn and the task worker running
    on, orphaned, with the port still taken.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Start Qunyun's web server (default 127.0.0.1:8000) and a task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background task worker"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_WORKERS or default_workers(),
            help="web worker processes (default: 2 × cores + 1)",
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per web worker (default 4)"
        )
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server instead of gunicorn"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError(_("--workers and --threads must be at least 1."))
        if _pending_migrations():
            raise CommandError(
                _(
                    "The database is not set up yet (or is older than this version): "
                    "run “qunyun migrate” first."
                )
            )
        _stop_on_sigterm()
        worker = None
        if not options["no_worker"] and settings.TASKS_BACKEND == "database":
            # Imports uploaded in the browser run here, outside the web process.
            worker = subprocess.Popen(  # noqa: S603 — our own interpreter and command
                [sys.executable, "-m", "qunyun", "db_worker", "--interval", "0.5"]
            )
            self.stdout.write(_("Background worker started (pid %(pid)d).") % {"pid": worker.pid})
        try:
            if options["dev"]:
                call_command(
                    "runserver", options["addrport"], use_reloader=False, use_threading=True
                )
            else:
                self._gunicorn(options)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

    def _gunicorn(self, options: dict[str, Any]) -> None:
        self.stdout.write(
            _("Serving on http://%(addr)s with %(workers)d workers × %(threads)d threads.")
            % {
                "addr": options["addrport"],
                "workers": options["workers"],
                "threads": options["threads"],
            }
        )
        self.stdout.flush()
        command = [
            sys.executable, "-m", "gunicorn", "qunyun.wsgi:application",
            "--bind", options["addrport"],
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--worker-class", "gthread",
            "--access-logfile", "-" if options["verbosity"] > 1 else "/dev/null",
            "--graceful-timeout", "10",
        ]  # fmt: skip
        server = subprocess.Popen(command)  # noqa: S603 — our own interpreter and module
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=15)

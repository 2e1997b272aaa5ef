"""``qunyun serve``: the web server, with a task worker and the scheduler beside it.

By default the production server: gunicorn with several worker processes (DEBUG stays
off unless QUNYUN_DEBUG says otherwise; static files come through WhiteNoise). ``--dev``
runs Django's development server instead. The task worker (``qunyun worker``, or
``qunyun rq_worker`` when tasks queue on Redis) and the scheduler (``qunyun scheduler``)
are watched: one that exits — a crash, a kill — is started again within seconds, so
uploads and scheduled runs never wait on a dead process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.database import pending_migrations
from qunyun.scheduling.startup import run_startup_checks


def _stop_on_sigterm() -> None:
    """Turn SIGTERM (systemd, docker stop, kill) into the same clean stop as Ctrl-C.

    Without it the command dies at once and leaves gunicorn and the task worker running
    on, orphaned, with the port still taken.
    """

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


class Helpers:
    """The background processes beside the web server, started again when one exits."""

    #: The task worker of each tasks backend that has one (``immediate`` runs in the
    #: request), and the scheduler.
    WORKERS = {"database": ["worker", "--interval", "0.5", "--no-reload"], "rq": ["rq_worker"]}
    COMMANDS = {"worker": WORKERS.get(settings.TASKS_BACKEND, []), "scheduler": ["scheduler"]}

    def __init__(self, names: list[str], write: Any) -> None:
        self.write = write
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()
        for name in names:
            self._start(name)

    def _start(self, name: str) -> None:
        command = [sys.executable, "-m", "qunyun", *self.COMMANDS[name]]
        self.running[name] = subprocess.Popen(command)  # noqa: S603 — our own interpreter
        self.write(
            _("Background %(name)s started (pid %(pid)d).")
            % {"name": name, "pid": self.running[name].pid}
        )

    def restart_dead(self) -> None:
        for name, process in list(self.running.items()):
            if process.poll() is not None and not self.stopping.is_set():
                self.write(
                    _("Background %(name)s exited (code %(code)s); starting it again.")
                    % {"name": name, "code": process.returncode}
                )
                self._start(name)

    def watch(self, until: subprocess.Popen[bytes] | None = None) -> None:
        """Restart dead helpers every second, until ``until`` exits (or forever)."""
        while not self.stopping.is_set() and (until is None or until.poll() is None):
            self.restart_dead()
            self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


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
            "--no-scheduler", action="store_true", help="do not start the scheduler"
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
        if pending_migrations():
            raise CommandError(
                _(
                    "The database is not set up yet (or is older than this version): "
                    "run “qunyun migrate” first."
                )
            )
        run_startup_checks()  # runs a killed process left running are marked interrupted
        _stop_on_sigterm()
        names = []
        if not options["no_worker"] and settings.TASKS_BACKEND in Helpers.WORKERS:
            names.append("worker")  # imports uploaded in the browser run there
        if not options["no_scheduler"]:
            names.append("scheduler")
        helpers = Helpers(names, self._say)
        try:
            if options["dev"]:
                threading.Thread(target=helpers.watch, daemon=True).start()
                call_command(
                    "runserver", options["addrport"], use_reloader=False, use_threading=True
                )
            else:
                self._gunicorn(options, helpers)
        finally:
            helpers.stop()

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _gunicorn(self, options: dict[str, Any], helpers: Helpers) -> None:
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
            helpers.watch(until=server)
        except KeyboardInterrupt:
            pass
        finally:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=15)

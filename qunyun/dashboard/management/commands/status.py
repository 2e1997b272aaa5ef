"""``qunyun status [--json]``: the database, the data dir, the background processes, the
schedules' last and next runs, failed runs, the version — one screen."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.dashboard.health import Status, installation_status
from qunyun.database import pending_migrations
from qunyun.scheduling.startup import run_startup_checks


class Command(BaseCommand):
    help = "Show how this installation is doing (database, worker, scheduler, schedules)."

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="as JSON")
        parser.add_argument(
            "--check",
            action="store_true",
            help="exit 1 unless the database answers and a worker and a scheduler are alive",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not pending_migrations():
            run_startup_checks()  # a run a killed process left running: interrupted
        status = installation_status()
        if options["json"]:
            self.stdout.write(json.dumps(status.as_json(), ensure_ascii=False, indent=2))
        else:
            for label, value in self._lines(status):
                self.stdout.write(f"{label:<22}{value}")
        if options["check"] and not status.healthy:
            raise SystemExit(1)

    def _lines(self, status: Status) -> list[tuple[str, str]]:
        none = _("none running")
        lines = [
            (_("Version"), status.version),
            (_("Database"), f"{status.database_vendor}: {self._database(status)}"),
            (
                _("Data directory"),
                status.data_dir
                + (
                    _(" (%(gib)s GiB free)") % {"gib": status.data_dir_free_gib}
                    if status.data_dir_free_gib is not None
                    else ""
                ),
            ),
            (
                _("Task worker"),
                ", ".join(status.workers) or f"{none} — {_('start qunyun serve or qunyun worker')}",
            ),
            (
                _("Scheduler"),
                ", ".join(status.schedulers)
                or f"{none} — {_('start qunyun serve or qunyun scheduler')}",
            ),
            (_("Failed runs (24 h)"), str(status.failed_runs_last_day)),
        ]
        for line in status.schedules:
            where = f" @{line.workspace}" if line.workspace else ""
            last = (
                f"{timezone.localtime(line.last_due):%Y-%m-%d %H:%M} {line.last_status}"
                if line.last_due
                else "—"
            )
            upcoming = (
                f"{timezone.localtime(line.next_due):%Y-%m-%d %H:%M}" if line.next_due else "—"
            )
            state = "" if line.enabled else f" ({_('off')})"
            lines.append(
                (
                    _("Schedule %(id)d") % {"id": line.id},
                    f"{line.job}{where}{state}  {_('last')}: {last}  {_('next')}: {upcoming}",
                )
            )
        return lines

    def _database(self, status: Status) -> str:
        if status.database == "ok":
            return _("ok")
        if status.database == "not migrated":
            return _("%(n)d migrations not applied — run “qunyun migrate”") % {
                "n": status.pending_migrations
            }
        return status.database

"""``qunyun restore PATH``: replace the whole database with a backup, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.backups.archive import BackupError, do_restore, read_manifest
from qunyun.backups.progress import TableProgress
from qunyun.database import pending_migrations


class Command(BaseCommand):
    help = "Replace every row of the database with a backup made by `qunyun backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask before replacing the data"
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if pending_migrations():
            # A new machine: set its database up to this version, then check the backup
            # against it (a backup of another version is still refused, by name).
            call_command("migrate", verbosity=0, interactive=False)
        try:
            manifest = read_manifest(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(t["rows"] for t in manifest["tables"].values())
        if not options["yes"]:
            question = _(
                "Replace ALL data of this installation with the backup of %(when)s "
                "(%(rows)s rows)? Type yes to go on: "
            ) % {"when": manifest["created_at"], "rows": f"{rows:,}"}
            if input(question).strip().lower() not in {"yes", "y", "是"}:
                raise CommandError(_("Restore cancelled; nothing was changed."))
        disabled = options["no_progress"] or options["verbosity"] == 0
        try:
            with TableProgress(_("Restoring"), disabled=disabled, total=rows) as progress:
                summary = do_restore(path, progress=progress.update)
        except BackupError as error:
            raise CommandError(
                _("The backup could not be restored; the existing data is unchanged.\n%(error)s")
                % {"error": error}
            ) from error
        self.stdout.write(
            _("Restored %(rows)s rows of %(tables)d tables from %(path)s in %(seconds).1f s.")
            % {
                "rows": f"{summary.rows:,}",
                "tables": summary.tables,
                "path": summary.path,
                "seconds": summary.seconds,
            }
        )

"""``qunyun backup PATH``: a consistent copy of the whole database, safe while serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from qunyun.backups.archive import do_backup
from qunyun.backups.progress import TableProgress


class Command(BaseCommand):
    help = "Back up the whole database into one file (restore it with `qunyun restore`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write (a .zip)")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        disabled = options["no_progress"] or options["verbosity"] == 0
        with TableProgress(_("Backing up"), disabled=disabled) as progress:
            summary = do_backup(Path(options["path"]), progress=progress.update)
        self.stdout.write(
            _("Backed up %(rows)s rows of %(tables)d tables to %(path)s in %(seconds).1f s.")
            % {
                "rows": f"{summary.rows:,}",
                "tables": summary.tables,
                "path": summary.path,
                "seconds": summary.seconds,
            }
        )

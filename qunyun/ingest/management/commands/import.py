"""``qunyun import FORMAT PATH --workspace SLUG``: bring a community's history in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.ingest.after_import import do_after_import
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.management.follow_up import write_follow_up
from qunyun.ingest.pipeline import do_get_or_create_workspace_for_import, do_import_records
from qunyun.ingest.platforms import PARSERS, get_parser
from qunyun.ingest.progress import ProgressBar


class Command(BaseCommand):
    help = "Import a chat export or a CSV/JSONL file into a workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(PARSERS), help="the export's format")
        parser.add_argument("path", help="the export file")
        parser.add_argument("--workspace", required=True, help="workspace slug (created if absent)")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        parse = get_parser(options["format"])
        bar = ProgressBar(
            label=_("Importing"),
            source=path,
            disabled=options["no_progress"] or options["verbosity"] == 0,
        )
        names = {"file_name": str(path), "format_name": options["format"]}
        try:
            with (
                bar,
                do_get_or_create_workspace_for_import(options["workspace"], **names) as workspace,
            ):
                run = do_import_records(workspace, parse(path), progress=bar.update, **names)
        except ImportFormatError as error:
            raise CommandError(
                _("The file could not be imported; nothing was written.\n%(error)s")
                % {"error": error}
            ) from error
        follow_up = do_after_import(workspace)
        self.stdout.write(
            _(
                "Imported %(path)s into “%(workspace)s”: %(read)d records read, "
                "%(added)d activities added, %(skipped)d already present, "
                "%(members)d new members, %(channels)d new channels "
                "in %(seconds).1f s (%(rate)s records/s)."
            )
            % {
                "path": path.name,
                "workspace": workspace.slug,
                "read": run.records_read,
                "added": run.activities_added,
                "skipped": run.activities_skipped,
                "members": run.members_added,
                "channels": run.channels_added,
                "seconds": run.duration_seconds or 0.0,
                "rate": f"{run.rate:,.0f}" if run.rate else "–",
            }
        )
        write_follow_up(self.stdout, follow_up)

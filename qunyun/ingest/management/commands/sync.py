"""``qunyun sync discourse --url URL --workspace SLUG``: fetch a live forum's new posts.

Incremental: the cursor is the highest numeric post id already imported from Discourse
into the workspace, so a second run fetches only newer posts (and adds 0 when there are
none). The API key comes from ``--api-key`` or, better (it stays out of the process list
and the shell history), from the environment variable ``QUNYUN_DISCOURSE_API_KEY``.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qunyun.ingest.after_import import do_after_import
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.management.follow_up import write_follow_up
from qunyun.ingest.pipeline import do_get_or_create_workspace_for_import
from qunyun.ingest.platforms.discourse.client import DiscourseClient, DiscourseSyncError
from qunyun.ingest.progress import ProgressBar
from qunyun.ingest.sync import do_sync_discourse

API_KEY_ENV = "QUNYUN_DISCOURSE_API_KEY"


class Command(BaseCommand):
    help = "Fetch the new posts of a live forum into a workspace (incremental)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("platform", choices=["discourse"], help="the forum software")
        parser.add_argument("--url", required=True, help="the forum's address, https://…")
        parser.add_argument(
            "--api-key",
            default="",
            help=f"an API key (better: set {API_KEY_ENV} instead)",
        )
        parser.add_argument(
            "--api-username", default="system", help="the user the key acts as (default: system)"
        )
        parser.add_argument("--workspace", required=True, help="workspace slug (created if absent)")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].strip()
        api_key = options["api_key"] or os.environ.get(API_KEY_ENV, "")
        if not api_key:
            raise CommandError(
                _("No API key: set %(env)s or pass --api-key.") % {"env": API_KEY_ENV}
            )
        try:
            client = DiscourseClient(url, api_key, options["api_username"])
        except DiscourseSyncError as error:
            raise CommandError(str(error)) from error
        bar = ProgressBar(
            label=_("Syncing"),
            disabled=options["no_progress"] or options["verbosity"] == 0,
        )
        try:
            with (
                bar,
                do_get_or_create_workspace_for_import(
                    options["workspace"], file_name=url, format_name="discourse"
                ) as workspace,
            ):
                run, cursor = do_sync_discourse(workspace, client, url=url, progress=bar.update)
        except DiscourseSyncError as error:
            raise CommandError(
                _("The forum could not be read; nothing was written.\n%(error)s") % {"error": error}
            ) from error
        except ImportFormatError as error:
            raise CommandError(
                _("The forum's answer could not be imported; nothing was written.\n%(error)s")
                % {"error": error}
            ) from error
        follow_up = do_after_import(workspace)
        self.stdout.write(
            _(
                "Synced %(url)s into “%(workspace)s” (posts after #%(cursor)d): "
                "%(read)d records read, %(added)d activities added, "
                "%(skipped)d already present, %(members)d new members, "
                "%(channels)d new channels in %(seconds).1f s (%(requests)d requests)."
            )
            % {
                "url": url,
                "workspace": workspace.slug,
                "cursor": cursor,
                "read": run.records_read,
                "added": run.activities_added,
                "skipped": run.activities_skipped,
                "members": run.members_added,
                "channels": run.channels_added,
                "seconds": run.duration_seconds or 0.0,
                "requests": client.requests_made,
            }
        )
        write_follow_up(self.stdout, follow_up)

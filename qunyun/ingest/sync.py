"""Incremental sync from a live forum (Discourse): the action the CLI and the web share."""

from __future__ import annotations

from django.contrib.auth.models import User

from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import Progress, do_import_records
from qunyun.ingest.platforms.discourse.client import DiscourseClient
from qunyun.ingest.platforms.discourse.mapping import SOURCE
from qunyun.ingest.selectors import discourse_cursor
from qunyun.workspaces.models import Workspace


def do_sync_discourse(
    workspace: Workspace,
    client: DiscourseClient,
    *,
    url: str,
    acting_user: User | None = None,
    progress: Progress | None = None,
    run: ImportRun | None = None,
) -> tuple[ImportRun, int]:
    """Import the forum's posts newer than the cursor; return the run and the cursor used.

    Raises ``DiscourseSyncError`` when the forum cannot be read (nothing written then).
    """
    cursor = discourse_cursor(workspace)
    run = do_import_records(
        workspace,
        client.records(after_id=cursor),
        file_name=url,
        format_name=SOURCE,
        acting_user=acting_user,
        progress=progress,
        run=run,
    )
    return run, cursor

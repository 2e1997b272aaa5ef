"""Reads for imports: nothing here writes.

How far a queued import has come (for the import page) and how far a live forum has been
imported (the sync's cursor).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast

from qunyun.activity.models import Activity
from qunyun.ingest.models import ImportRun
from qunyun.ingest.platforms.discourse.mapping import SOURCE
from qunyun.ingest.run_progress import progress_key
from qunyun.workspaces.models import Workspace


def discourse_cursor(workspace: Workspace) -> int:
    """The highest Discourse post id imported into ``workspace`` (0 when none).

    Only all-digit external ids count (a generic CSV may have used ``source=discourse``
    with other ids); the cast runs in the database on SQLite and PostgreSQL alike.
    """
    top = (
        Activity.objects.filter(
            workspace=workspace, source=SOURCE, external_id__regex=r"^[0-9]{1,18}$"
        )
        .annotate(post_id=Cast("external_id", BigIntegerField()))
        .aggregate(top=Max("post_id"))["top"]
    )
    return int(top or 0)


def import_progress(run: ImportRun) -> dict[str, Any]:
    """What the import page shows while ``run`` works: records so far, rate, elapsed."""
    return cache.get(progress_key(run.pk)) or {"records": 0, "rate": 0.0, "elapsed": 0.0}

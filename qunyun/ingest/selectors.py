"""Reads for imports: nothing here writes.

How far a live forum has been imported (the sync's cursor).
"""

from __future__ import annotations

from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast

from qunyun.activity.models import Activity
from qunyun.ingest.platforms.discourse.mapping import SOURCE
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

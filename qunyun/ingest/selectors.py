"""Reads for imports: nothing here writes.

How far a queued import has come (for the import page), how far a live forum has been
imported (the sync's cursor), and the forums synced on a schedule with their last and
next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.utils import timezone

from qunyun.activity.models import Activity
from qunyun.ingest.models import Forum, ImportRun
from qunyun.ingest.platforms.discourse.mapping import SOURCE
from qunyun.ingest.run_progress import progress_key
from qunyun.scheduling.models import ScheduledRun
from qunyun.scheduling.selectors import last_run, next_due
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


@dataclass(frozen=True)
class ForumView:
    """A configured forum as the imports page and ``qunyun forum list`` show it (never
    its key)."""

    forum: Forum
    last_run: ScheduledRun | None
    next_due: datetime | None


def forums_overview(workspace: Workspace | None = None) -> list[ForumView]:
    """The forums synced on a schedule (``workspace``'s, or every workspace's), each with
    the latest run of its schedule and its next slot."""
    forums = Forum.objects.select_related("workspace", "schedule__workspace").order_by(
        "workspace__slug"
    )
    if workspace is not None:
        forums = forums.filter(workspace=workspace)
    now = timezone.now()
    return [
        ForumView(
            forum=forum,
            last_run=last_run(forum.schedule) if forum.schedule else None,
            next_due=next_due(forum.schedule, now) if forum.schedule else None,
        )
        for forum in forums
    ]

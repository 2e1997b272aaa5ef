"""The one write of analytics: the columnar snapshot brought up to date with the ORM.

The snapshot is derived data (DESIGN.md §3, "Storage"): rebuilding it changes nothing a person
wrote, so reads call :func:`ensure_snapshot` before computing figures on it. It is cheap
when nothing changed: one index lookup, the newest id remembered for a minute.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Max

from qunyun.activity.models import Activity, SnapshotState
from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_is_current
from qunyun.workspaces.models import Workspace

#: How long a page trusts "nothing was imported anywhere since" before asking again.
LATEST_ACTIVITY_SECONDS = 60


def ensure_snapshot(workspace: Workspace) -> SnapshotState:
    """Refresh the snapshot when the ORM has activities it does not have yet."""
    state = SnapshotState.objects.filter(workspace=workspace).first()
    latest = latest_activity_id(workspace)
    if (
        state is None
        or state.needs_rebuild
        or state.activity_watermark < latest
        or state.time_zone != workspace.time_zone
        or not snapshot_is_current(workspace)
    ):
        do_refresh_snapshot(workspace)
        state = SnapshotState.objects.get(workspace=workspace)
    return state


def latest_activity_id(workspace: Workspace) -> int:
    """The workspace's newest ``Activity.id``, without a scan on every page view.

    The newest id of the whole table is one index lookup; the workspace's own newest id
    costs a scan of its rows (SQLite sorts its unique index), so it is remembered beside
    the table's newest id and asked again only when that moved (an import anywhere) or
    after a minute.
    """
    newest_anywhere = Activity.objects.aggregate(newest=Max("id"))["newest"] or 0
    key = f"latest-activity:{workspace.pk}"
    remembered = cache.get(key)
    if remembered is not None and remembered[0] == newest_anywhere:
        return int(remembered[1])
    latest = (
        Activity.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True)
    ).first() or 0
    cache.set(key, (newest_anywhere, latest), timeout=LATEST_ACTIVITY_SECONDS)
    return latest

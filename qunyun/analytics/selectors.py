"""Reads the pages, the API and the CLI use for analytics.

Brings the snapshot up to date (cheap when nothing changed) and computes on it;
results are cached per snapshot state so repeated page loads cost nothing.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.cache import cache

from qunyun.activity.models import Activity, SnapshotState
from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_dir, snapshot_is_current
from qunyun.analytics.kpis import compute_kpis
from qunyun.analytics.segments import rules_for
from qunyun.workspaces.models import Workspace


def ensure_snapshot(workspace: Workspace) -> SnapshotState:
    """Refresh the snapshot when the ORM has activities it does not have yet."""
    state = SnapshotState.objects.filter(workspace=workspace).first()
    latest = (
        Activity.objects.filter(workspace=workspace).order_by("-id").values_list("id", flat=True)
    ).first() or 0
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


def workspace_kpis(
    workspace: Workspace,
    *,
    as_of: date | None = None,
    period: str = "day",
    channel_id: int | None = None,
) -> dict[str, Any]:
    state = ensure_snapshot(workspace)
    overrides = (workspace.analytics_settings or {}).get("segments")
    key = (
        f"kpis:{workspace.pk}:{state.generation}:{state.activity_watermark}:"
        f"{as_of.isoformat() if as_of else 'last'}:{period}:{channel_id or 'all'}:"
        f"{json.dumps(overrides, sort_keys=True)}"
    )
    kpis = cache.get(key)
    if kpis is None:
        kpis = compute_kpis(
            snapshot_dir(workspace),
            as_of=as_of,
            period=period,
            channel_id=channel_id,
            segment_rules=rules_for(overrides),
        )
        cache.set(key, kpis, timeout=3600)
    return kpis

"""Reads the pages, the API and the CLI use for analytics.

The figures are computed on the snapshot and cached per snapshot state (:func:`cached_kpis`,
keyed by :func:`kpis_cache_key`, which only reads the state it is given), so repeated page
loads cost nothing. :func:`workspace_kpis` first brings the snapshot up to date
(:func:`~qunyun.analytics.freshness.ensure_snapshot`) for the callers that only want the
figures; :func:`workspace_unanswered_questions` gives every unanswered question, where the
figures keep the newest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.core.cache import cache

from qunyun.activity.models import SnapshotState
from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.analytics.kpi_types import Kpis, UnansweredQuestion
from qunyun.analytics.kpis import compute_kpis, every_unanswered_question
from qunyun.analytics.segments import rules_for
from qunyun.workspaces.models import Workspace

#: How long computed KPIs stay cached (the key changes with the snapshot anyway).
KPIS_CACHE_SECONDS = 3600


def kpis_cache_key(
    workspace: Workspace,
    state: SnapshotState,
    *,
    as_of: date | None = None,
    period: str = "day",
    channel_id: int | None = None,
) -> str:
    """What the figures of ``workspace`` depend on, as a cache key: the snapshot's
    ``state``, the filters and the workspace's segment rules.

    Reads and writes nothing: the caller brings the snapshot up to date first
    (``state = ensure_snapshot(workspace)``). Pages that cache what they make of the
    figures key it on this too, so that a page seen before costs neither the figures nor
    their rendering.
    """
    overrides = (workspace.analytics_settings or {}).get("segments")
    return (
        f"kpis:{workspace.pk}:{state.generation}:{state.activity_watermark}:"
        f"{as_of.isoformat() if as_of else 'last'}:{period}:{channel_id or 'all'}:"
        f"{_digest(overrides)}"
    )


def _digest(overrides: object) -> str:
    """The segment rules as a short key part (JSON has spaces and quotes, which some cache
    backends refuse in keys)."""
    text = json.dumps(overrides, sort_keys=True).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def cached_kpis(
    workspace: Workspace,
    state: SnapshotState,
    *,
    as_of: date | None = None,
    period: str = "day",
    channel_id: int | None = None,
) -> Kpis:
    """The KPIs on the snapshot in ``state`` (an hour in the cache, keyed on that state)."""
    key = kpis_cache_key(workspace, state, as_of=as_of, period=period, channel_id=channel_id)
    kpis: Kpis | None = cache.get(key)
    if kpis is None:
        overrides = (workspace.analytics_settings or {}).get("segments")
        kpis = compute_kpis(
            snapshot_dir(workspace),
            as_of=as_of,
            period=period,
            channel_id=channel_id,
            segment_rules=rules_for(overrides),
        )
        cache.set(key, kpis, timeout=KPIS_CACHE_SECONDS)
    return kpis


def workspace_kpis(
    workspace: Workspace,
    *,
    as_of: date | None = None,
    period: str = "day",
    channel_id: int | None = None,
) -> Kpis:
    """The KPIs of ``workspace``, its snapshot first brought up to date."""
    state = ensure_snapshot(workspace)
    return cached_kpis(workspace, state, as_of=as_of, period=period, channel_id=channel_id)


def workspace_unanswered_questions(
    workspace: Workspace, *, as_of: date | None = None, channel_id: int | None = None
) -> list[UnansweredQuestion]:
    """Every unanswered question of the KPIs' questions section as of ``as_of`` (in the
    channel, when given), newest first, the snapshot first brought up to date.

    Not cached: the KPIs keep the newest few; only an export asks for them all.
    """
    ensure_snapshot(workspace)
    return every_unanswered_question(snapshot_dir(workspace), as_of=as_of, channel_id=channel_id)

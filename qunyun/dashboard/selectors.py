"""Reads the dashboard pages need from the ORM, always scoped to one workspace.

The figures themselves come from analytics (``qunyun.analytics.selectors``), which names
members, channels and activities by id; these reads turn ids into what people recognise.
The overview's rendered sections are cached here too, keyed on what they show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import get_language

from qunyun.activity.models import Activity, Channel
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.analytics.kpi_types import Kpis
from qunyun.analytics.selectors import cached_kpis, kpis_cache_key
from qunyun.ingest.models import ImportRun
from qunyun.workspaces.models import Workspace

if TYPE_CHECKING:
    from qunyun.dashboard.filters import OverviewFilter

#: How long rendered overview sections are reused: "last import 3 minutes ago" must not
#: grow stale.
SECTIONS_CACHE_SECONDS = 60

#: Renders the overview's sections from the figures and the workspace's last import.
SectionsRenderer = Callable[[Kpis, ImportRun | None], str]


def workspace_channels(workspace: Workspace) -> QuerySet[Channel]:
    """The channels of ``workspace`` in the order the filter lists them."""
    return Channel.objects.filter(workspace=workspace).order_by("platform", "name", "id")


def activities_by_id(workspace: Workspace, activity_ids: list[int]) -> dict[int, Activity]:
    """The activities of ``workspace`` among ``activity_ids`` (drill-down reads raw rows)."""
    # By primary key, scoped in Python: with ``workspace=`` in the query SQLite walks the
    # workspace index over every activity instead of looking up a few hundred rows.
    activities = Activity.objects.filter(pk__in=set(activity_ids)).select_related(
        "member", "channel"
    )
    return {a.pk: a for a in activities if a.workspace_id == workspace.pk}


def overview_sections_html(
    workspace: Workspace, filters: OverviewFilter, *, render: SectionsRenderer
) -> str:
    """The overview's sections for ``filters``, rendered by ``render`` at most once per
    figures, filters, active language, time zone and last import (and a minute).

    The sections are the same for everyone who may see the workspace, so a page seen
    before reads neither the figures nor the templates of the sections. New activity, a
    new snapshot generation or other segment rules change the figures' key
    (:func:`~qunyun.analytics.selectors.kpis_cache_key`); the snapshot is brought up to
    date first.
    """
    last_import = ImportRun.objects.filter(workspace=workspace).first()
    state = ensure_snapshot(workspace)
    figures = kpis_cache_key(workspace, state, period=filters.period, channel_id=filters.channel_id)
    key = (
        f"overview-sections:{figures}:"
        f"{get_language()}:{workspace.time_zone}:{last_import.pk if last_import else 0}"
    )
    sections: str | None = cache.get(key)
    if sections is None:
        kpis = cached_kpis(workspace, state, period=filters.period, channel_id=filters.channel_id)
        sections = str(render(kpis, last_import))
        cache.set(key, sections, timeout=SECTIONS_CACHE_SECONDS)
    return sections

"""Reads the dashboard pages need from the ORM, always scoped to one workspace.

The figures themselves come from analytics (``qunyun.analytics.selectors``), which names
members, channels and activities by id; these reads turn ids into what people recognise.
"""

from __future__ import annotations

from django.db.models import QuerySet

from qunyun.activity.models import Activity, Channel
from qunyun.workspaces.models import Workspace


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

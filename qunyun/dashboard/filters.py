"""The dashboards' filters (overview: period, channel; members: search, tag, segment, sort).

The page and the exports parse them the same way, so an export holds exactly the figures
the operator was looking at.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qunyun.dashboard.selectors import workspace_channels
from qunyun.errors import QunyunError
from qunyun.members.selectors import (
    DEFAULT_MEMBER_SORT,
    MEMBER_SEGMENTS,
    MEMBER_SORTS,
    MemberFilter,
)
from qunyun.workspaces.models import Workspace

#: Periods the overview groups its series by (weeks start on Monday).
PERIODS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}
DEFAULT_PERIOD = "week"


class InvalidFilter(QunyunError, ValueError):
    """A filter value the page cannot use; the message is for the operator, translated."""

    code = "invalid_filter"
    http_status = 400


@dataclass(frozen=True)
class OverviewFilter:
    period: str = DEFAULT_PERIOD
    channel_id: int | None = None

    def as_query(self) -> dict[str, str]:
        """The query-string form, to rebuild links (exports) with the same filters."""
        query = {"period": self.period}
        if self.channel_id is not None:
            query["channel"] = str(self.channel_id)
        return query


def parse_overview_filter(workspace: Workspace, query: QueryDict) -> OverviewFilter:
    """The filters in ``query``; raise :class:`InvalidFilter` for a value that is not offered."""
    period = query.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        raise InvalidFilter(
            _("“%(value)s” is not a period the overview offers: choose day, week or month.")
            % {"value": period[:40]}
        )
    raw_channel = query.get("channel") or ""
    if not raw_channel:
        return OverviewFilter(period=period)
    channel_ids = set(workspace_channels(workspace).values_list("pk", flat=True))
    if not raw_channel.isdigit() or int(raw_channel) not in channel_ids:
        raise InvalidFilter(
            _("“%(value)s” is not a channel of this community: choose one from the list.")
            % {"value": raw_channel[:40]}
        )
    return OverviewFilter(period=period, channel_id=int(raw_channel))


def parse_member_filter(query: QueryDict) -> MemberFilter:
    """The members list's filters; an unknown sort falls back to the default order."""
    sort = query.get("sort", DEFAULT_MEMBER_SORT)
    if sort not in MEMBER_SORTS:
        sort = DEFAULT_MEMBER_SORT
    segment = query.get("segment", "")
    if segment and segment not in MEMBER_SEGMENTS:
        raise InvalidFilter(
            _("“%(value)s” is not a segment: choose one from the list.") % {"value": segment[:40]}
        )
    return MemberFilter(
        query=query.get("q", "")[:200], tag=query.get("tag", "")[:64], sort=sort, segment=segment
    )

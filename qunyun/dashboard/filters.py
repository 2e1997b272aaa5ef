"""The dashboards' filters (overview: period, channel; members: search, tag, segment,
channel, churn risk, last seen, sort).

The page and the exports parse them the same way, so an export holds exactly the figures
the operator was looking at; the REST API's members list reads the same schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from qunyun.api_requests import faults_text, schema_faults
from qunyun.dashboard.schemas import MemberQueryIn
from qunyun.dashboard.selectors import workspace_channels
from qunyun.errors import QunyunError
from qunyun.members.selectors import MemberFilter
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


def parse_member_filter(workspace: Workspace, query: Mapping[str, str]) -> MemberFilter:
    """The members list's filters in ``query`` (a page's or an export's query string),
    read by the schema the REST API declares (:class:`MemberQueryIn`), so that the three
    take the same values and refuse the same ones, with the same words.

    Raise :class:`InvalidFilter` naming each parameter that cannot be used.
    """
    # The form sends every field; an empty one means "any".
    given = {name: query[name] for name in MemberQueryIn.model_fields if query.get(name)}
    try:
        return member_filter(workspace, MemberQueryIn.model_validate(given))
    except ValidationError as error:
        raise InvalidFilter(faults_text(schema_faults(error.errors()))) from None


def member_filter(workspace: Workspace, given: MemberQueryIn) -> MemberFilter:
    """The :class:`MemberFilter` of filters the schema has read: the channel must be one
    of ``workspace``'s, and times without an offset are in its time zone."""
    if (
        given.channel is not None
        and not workspace_channels(workspace).filter(pk=given.channel).exists()
    ):
        raise InvalidFilter(
            _("channel: “%(value)s” is not a channel of this community: choose one from the list.")
            % {"value": given.channel}
        )
    after = _moment(given.last_seen_after, workspace, "last_seen_after")
    before = _moment(given.last_seen_before, workspace, "last_seen_before")
    if after is not None and before is not None and after >= before:
        raise InvalidFilter(
            _("last_seen_after: must be earlier than last_seen_before, or nobody can match.")
        )
    return MemberFilter(
        query=given.q,
        tag=given.tag,
        sort=given.sort,
        segment=given.segment.value if given.segment else "",
        channel_id=given.channel,
        churn_risk_above=given.churn_risk_above,
        last_seen_after=after,
        last_seen_before=before,
    )


def _moment(value: datetime | None, workspace: Workspace, parameter: str) -> datetime | None:
    """``value`` in UTC, read in the workspace's time zone when it has no offset.

    In UTC because a database may not take every offset a time can be written with
    (PostgreSQL refuses -20:58).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(workspace.time_zone))
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidFilter(
            _("%(parameter)s: must be a moment between the years 1 and 9999.")
            % {"parameter": parameter}
        ) from None

"""The dashboard's tables: the same rows feed the page and the CSV / XLSX exports.

Overview tables are built from the KPI dict (``compute_kpis``), which names members and
activities by id; names and texts come from the ORM through selectors. The KPIs keep only
the newest unanswered questions, so their export asks analytics for every one. The members table
is the filtered member list, read lazily so that an export of 500k members streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qunyun.activity.models import PLATFORM_LABELS
from qunyun.analytics.kpi_types import Kpis, UnansweredQuestion
from qunyun.analytics.selectors import workspace_unanswered_questions
from qunyun.dashboard.selectors import activities_by_id
from qunyun.members.models import Member, Segment
from qunyun.members.selectors import (
    MEMBER_ROW_FIELDS,
    member_platforms_and_tags,
    members_by_id,
)
from qunyun.spreadsheets import Column, Row
from qunyun.workspaces.models import Workspace

EXPORT_CHUNK_MEMBERS = 2000
#: Activities whose text an export looks up at once.
EXPORT_CHUNK_ACTIVITIES = 2000


@dataclass(frozen=True)
class Table:
    """A named table: ``name`` goes into URLs and file names, ``title`` is for people."""

    name: str
    title: str | Promise
    columns: list[Column]
    rows: Iterable[Row]
    #: How many rows there are, when known without reading them (lazy rows stay lazy).
    size: int | None = None


def percent(share: float | None) -> float | None:
    """0.4251 → 42.5 (what the tables and exports show); None stays None."""
    return None if share is None else round(share * 100, 1)


# --- members ------------------------------------------------------------------------------

MEMBER_COLUMNS = [
    Column("id", gettext_lazy("Member id")),
    Column("name", gettext_lazy("Name")),
    Column("platforms", gettext_lazy("Platforms")),
    Column("tags", gettext_lazy("Tags")),
    Column("segment", gettext_lazy("Segment")),
    Column("engagement_score", gettext_lazy("Engagement score")),
    Column("churn_risk", gettext_lazy("Churn risk (%)")),
    Column("messages", gettext_lazy("Messages")),
    Column("first_seen", gettext_lazy("First seen")),
    Column("last_seen", gettext_lazy("Last seen")),
]


#: The member fields an export reads (plain values: no model instances for 500k rows):
#: those of the member list page but the bot flag, in the same order.
MEMBER_FIELDS = tuple(field for field in MEMBER_ROW_FIELDS if field != "is_bot")


def member_rows(members: QuerySet[Member]) -> Iterator[Row]:
    """One row per member, read in chunks: plain values, then platforms and tags per chunk.

    Model instances and prefetching cost ~0.3 ms a member; plain values ~0.05 ms, which
    is what lets 500k members stream out in well under a minute.
    """
    segments = {value: str(label) for value, label in Segment.choices}
    values = members.prefetch_related(None).values_list(*MEMBER_FIELDS)
    iterator = values.iterator(chunk_size=EXPORT_CHUNK_MEMBERS)
    while chunk := list(islice(iterator, EXPORT_CHUNK_MEMBERS)):
        ids = [row[0] for row in chunk]
        platforms, tags = member_platforms_and_tags(ids)
        for pk, name, segment, score, risk, messages, first_seen, last_seen in chunk:
            yield {
                "id": pk,
                "name": name,
                "platforms": sorted(
                    str(PLATFORM_LABELS.get(code, code)) for code in set(platforms.get(pk, ()))
                ),
                "tags": sorted(tag["name"] for tag in tags.get(pk, ())),
                "segment": segments.get(segment, segment),
                "engagement_score": round(score, 2),
                "churn_risk": percent(risk),
                "messages": messages,
                "first_seen": first_seen,
                "last_seen": last_seen,
            }


def member_table(members: QuerySet[Member]) -> Table:
    return Table("members", gettext_lazy("Members"), MEMBER_COLUMNS, member_rows(members))


# --- overview tables ----------------------------------------------------------------------


def top_contributors_table(workspace: Workspace, kpis: Kpis) -> Table:
    """The top contributors of the last 30 days, named."""
    contributors = kpis["top_contributors"]
    names = members_by_id(workspace, [c["member_id"] for c in contributors])
    rows = [
        {
            "member_id": c["member_id"],
            "name": str(names[c["member_id"]]) if c["member_id"] in names else f"#{c['member_id']}",
            "messages": c["messages"],
            "replies": c["replies"],
            "reactions": c["reactions"],
            "active_days": c["active_days"],
        }
        for c in contributors
    ]
    columns = [
        Column("member_id", gettext_lazy("Member id")),
        Column("name", gettext_lazy("Name")),
        Column("messages", gettext_lazy("Messages")),
        Column("replies", gettext_lazy("Replies")),
        Column("reactions", gettext_lazy("Reactions")),
        Column("active_days", gettext_lazy("Active days")),
    ]
    return Table("top-contributors", gettext_lazy("Top contributors"), columns, rows)


def unanswered_questions_table(
    workspace: Workspace, kpis: Kpis, *, limit: int | None = None
) -> Table:
    """Questions of the last 30 days nobody answered, newest first, with their text.

    With ``limit``, the newest few of those the KPIs keep (the page). Without, every one
    (the export): read again from the snapshot for the KPIs' day and channel, since the
    KPIs keep only the newest; their texts are looked up chunk by chunk as rows go out.
    """
    if limit is not None:
        kept = kpis["questions"]["unanswered"][:limit]
        return _unanswered_table(list(_unanswered_rows(workspace, kept)), len(kept))
    as_of = kpis["as_of"]
    every = (
        []
        if as_of is None
        else workspace_unanswered_questions(
            workspace, as_of=date.fromisoformat(as_of), channel_id=kpis["channel_id"]
        )
    )
    return _unanswered_table(_unanswered_rows(workspace, every), len(every))


def _unanswered_rows(workspace: Workspace, questions: list[UnansweredQuestion]) -> Iterator[Row]:
    for offset in range(0, len(questions), EXPORT_CHUNK_ACTIVITIES):
        chunk = questions[offset : offset + EXPORT_CHUNK_ACTIVITIES]
        activities = activities_by_id(workspace, [q["activity_id"] for q in chunk])
        for question in chunk:
            activity = activities.get(question["activity_id"])
            yield {
                "activity_id": question["activity_id"],
                "member_id": question["member_id"],
                "occurred_at": _as_datetime(question["occurred_at"]),
                "member": str(activity.member) if activity and activity.member else "",
                "channel": str(activity.channel) if activity and activity.channel else "",
                "text": activity.text if activity else "",
            }


def _unanswered_table(rows: Iterable[Row], size: int) -> Table:
    columns = [
        Column("occurred_at", gettext_lazy("Asked at")),
        Column("member", gettext_lazy("Asked by")),
        Column("channel", gettext_lazy("Channel")),
        Column("text", gettext_lazy("Question")),
        Column("activity_id", gettext_lazy("Activity id")),
        Column("member_id", gettext_lazy("Member id")),
    ]
    title = gettext_lazy("Unanswered questions")
    return Table("unanswered-questions", title, columns, rows, size=size)


def week_label(number: int) -> str:
    return _("Week %(n)s") % {"n": number}


def cohort_table(workspace: Workspace, kpis: Kpis) -> Table:
    """Weekly join cohorts and the share of each still active N weeks later (percent)."""
    retention = kpis["retention"]
    weeks = range(retention["weeks"] + 1)
    rows = []
    for cohort in retention["cohorts"]:
        row: Row = {"cohort_start": _as_date(cohort["cohort_start"]), "size": cohort["size"]}
        for week, share in zip(weeks, cohort["retention"], strict=False):
            row[f"week_{week}"] = percent(share)
        rows.append(row)
    columns = [
        Column("cohort_start", gettext_lazy("Cohort (join week)")),
        Column("size", gettext_lazy("Members")),
        *(
            Column(f"week_{week}", _("%(week)s (%%)") % {"week": week_label(week)})
            for week in weeks
        ),
    ]
    return Table("cohorts", gettext_lazy("Retention by join week"), columns, rows)


def period_table(workspace: Workspace, kpis: Kpis) -> Table:
    """Growth and engagement per period (the figures behind the two charts)."""
    rows = [
        {
            "period_start": _as_date(p["period_start"]),
            "joined": p["joined"],
            "left": p["left"],
            "net_growth": p["net_growth"],
            "growth_rate": percent(p["growth_rate"]),
            "members_total": p["members_total"],
            "active_members": p["active_members"],
            "messages": p["messages"],
            "engagement_rate": percent(p["engagement_rate"]),
            "messages_per_active_member": p["messages_per_active_member"],
            "reply_rate": percent(p["reply_rate"]),
        }
        for p in kpis["series"]["by_period"]
    ]
    columns = [
        Column("period_start", gettext_lazy("Period start")),
        Column("joined", gettext_lazy("Joined")),
        Column("left", gettext_lazy("Left")),
        Column("net_growth", gettext_lazy("Net growth")),
        Column("growth_rate", gettext_lazy("Growth rate (%)")),
        Column("members_total", gettext_lazy("Members")),
        Column("active_members", gettext_lazy("Active members")),
        Column("messages", gettext_lazy("Messages")),
        Column("engagement_rate", gettext_lazy("Engagement rate (%)")),
        Column("messages_per_active_member", gettext_lazy("Messages per active member")),
        Column("reply_rate", gettext_lazy("Reply rate (%)")),
    ]
    return Table("periods", gettext_lazy("Growth and engagement by period"), columns, rows)


#: Tables of the overview, by the name their export URL uses.
OVERVIEW_TABLES: dict[str, Callable[[Workspace, Kpis], Table]] = {
    "top-contributors": top_contributors_table,
    "unanswered-questions": unanswered_questions_table,
    "cohorts": cohort_table,
    "periods": period_table,
}


def segment_label(key: str) -> str:
    """A segment's name in the operator's language (``at_risk`` → "At risk" / 流失风险)."""
    return str(Segment(key).label) if key in Segment.values else key


def _as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _as_datetime(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

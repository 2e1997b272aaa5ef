"""Reads of members for pages, the API, exports and the CLI: always scoped to one workspace.

Nothing here writes: members and their tags, merge suggestions, identities, the stored
segments, and the churn model's runs and the members it finds at risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404

from qunyun.activity.kinds import ACTIVE_KINDS
from qunyun.activity.models import Activity
from qunyun.analytics.churn import ACTIVE_WINDOW
from qunyun.analytics.segments import PRECEDENCE
from qunyun.members.churn_words import churn_problem_text, churn_reason_sentences
from qunyun.members.models import ChurnModelRun, Identity, Member, MergeSuggestion, Segment, Tag
from qunyun.workspaces.models import Workspace

#: Sort keys the members list accepts → ORM ordering.
MEMBER_SORTS: dict[str, list[str | OrderBy]] = {
    "name": ["display_name", "id"],
    "-name": ["-display_name", "-id"],
    "last_seen": ["last_seen_at", "id"],
    "-last_seen": ["-last_seen_at", "-id"],
    "first_seen": ["first_seen_at", "id"],
    "-first_seen": ["-first_seen_at", "-id"],
    "messages": ["message_count", "id"],
    "-messages": ["-message_count", "-id"],
    "score": ["engagement_score", "id"],
    "-score": ["-engagement_score", "-id"],
    # Members not scored yet have no churn risk: they go last either way.
    "churn_risk": [F("churn_risk").asc(nulls_last=True), "id"],
    "-churn_risk": [F("churn_risk").desc(nulls_last=True), "-id"],
}
DEFAULT_MEMBER_SORT = "-last_seen"


@dataclass(frozen=True)
class MemberFilter:
    """What the members list is narrowed to: the page, its exports and the REST API alike.

    ``channel_id`` keeps members with any activity in that channel; ``churn_risk_above``
    those scored strictly above it (members not scored yet never match); the two times
    bound ``last_seen_at`` as a half-open range: ``last_seen_after`` ≤ it <
    ``last_seen_before``. The caller has checked every value (dashboard/filters.py).
    """

    query: str = ""
    tag: str = ""
    sort: str = DEFAULT_MEMBER_SORT
    segment: str = ""
    channel_id: int | None = None
    churn_risk_above: float | None = None
    last_seen_after: datetime | None = None
    last_seen_before: datetime | None = None

    def as_query(self) -> dict[str, str]:
        """The query-string form of the filters that are set (export links, audit rows)."""
        values: dict[str, object] = {
            "q": self.query,
            "tag": self.tag,
            "segment": self.segment,
            "channel": self.channel_id,
            "churn_risk_above": self.churn_risk_above,
            "last_seen_after": self.last_seen_after and self.last_seen_after.isoformat(),
            "last_seen_before": self.last_seen_before and self.last_seen_before.isoformat(),
        }
        query = {key: str(value) for key, value in values.items() if value not in ("", None)}
        return query | {"sort": self.sort}


def member_list(workspace: Workspace, filters: MemberFilter) -> QuerySet[Member]:
    """Members of ``workspace`` matching ``filters``, in the chosen order.

    The one query behind the members page (one page of it), its exports (all of it) and
    the REST API's members list (one page of it).
    """
    members = Member.objects.filter(workspace=workspace)
    if filters.query:
        q = filters.query.strip()
        members = members.filter(
            Q(display_name__icontains=q)
            | Q(identities__handle__icontains=q)
            | Q(identities__display_name__icontains=q)
            | Q(identities__external_id=q)
        ).distinct()
    if filters.tag:
        members = members.filter(tags__workspace=workspace, tags__name=filters.tag)
    if filters.segment:
        members = members.filter(segment=filters.segment)
    if filters.channel_id is not None:
        members = members.filter(
            Exists(Activity.objects.filter(member=OuterRef("pk"), channel_id=filters.channel_id))
        )
    if filters.churn_risk_above is not None:
        members = members.filter(churn_risk__gt=filters.churn_risk_above)
    if filters.last_seen_after is not None:
        members = members.filter(last_seen_at__gte=filters.last_seen_after)
    if filters.last_seen_before is not None:
        members = members.filter(last_seen_at__lt=filters.last_seen_before)
    ordering = MEMBER_SORTS.get(filters.sort, MEMBER_SORTS[DEFAULT_MEMBER_SORT])
    return members.order_by(*ordering).prefetch_related("tags", "identities")


#: What a row of the member list page shows, read as plain values.
MEMBER_ROW_FIELDS = (
    "pk",
    "display_name",
    "is_bot",
    "segment",
    "engagement_score",
    "churn_risk",
    "message_count",
    "first_seen_at",
    "last_seen_at",
)


def member_list_rows(workspace: Workspace, filters: MemberFilter) -> QuerySet[Any]:
    """:func:`member_list` as plain rows (dicts of ``MEMBER_ROW_FIELDS``), to paginate.

    A page of 50 model instances with their identities and tags prefetched cost ~15 ms
    of Python; plain rows and :func:`with_platforms_and_tags` cost a fifth of it.
    """
    return member_list(workspace, filters).prefetch_related(None).values(*MEMBER_ROW_FIELDS)


def with_platforms_and_tags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of :func:`member_list_rows` (one page), each given its ``platforms`` and
    ``tags`` (:func:`member_platforms_and_tags`) and its ``segment_label``."""
    platforms, tags = member_platforms_and_tags([row["pk"] for row in rows])
    labels = {value: str(label) for value, label in Segment.choices}
    for row in rows:
        row["platforms"] = platforms.get(row["pk"], [])
        row["tags"] = tags.get(row["pk"], [])
        row["segment_label"] = labels.get(row["segment"], "")
    return rows


def get_member(workspace: Workspace, member_id: int) -> Member:
    """The member ``member_id`` of ``workspace``, or 404 (never another workspace's)."""
    try:
        return Member.objects.prefetch_related("identities", "tags").get(
            workspace=workspace, pk=member_id
        )
    except Member.DoesNotExist as exc:
        raise Http404("member") from exc


def members_by_id(workspace: Workspace, member_ids: list[int]) -> dict[int, Member]:
    """The members of ``workspace`` among ``member_ids`` (analytics names members by id)."""
    # By primary key, scoped in Python (SQLite would otherwise scan the workspace index).
    members = Member.objects.filter(pk__in=set(member_ids))
    return {member.pk: member for member in members if member.workspace_id == workspace.pk}


def member_platforms_and_tags(
    member_ids: list[int],
) -> tuple[dict[int, list[str]], dict[int, list[dict[str, str]]]]:
    """The platforms (one per identity, in the order they were made) and the tags (name
    and colour, by name) of each of ``member_ids`` (ids of one workspace).

    Two flat queries instead of prefetching onto model instances: the member list page
    calls this for its page, exports for each chunk of a list that may hold 500k members.
    """
    platforms: dict[int, list[str]] = {}
    for member_id, platform in (
        Identity.objects.filter(member_id__in=member_ids)
        .order_by("pk")
        .values_list("member_id", "platform")
    ):
        platforms.setdefault(member_id, []).append(platform)
    tags: dict[int, list[dict[str, str]]] = {}
    for member_id, name, color in (
        Member.tags.through.objects.filter(member_id__in=member_ids)
        .order_by("tag__name")
        .values_list("member_id", "tag__name", "tag__color")
    ):
        tags.setdefault(member_id, []).append({"name": name, "color": color})
    return platforms, tags


def member_timeline(workspace: Workspace, member: Member) -> QuerySet[Activity]:
    """``member``'s activities, newest first (``member`` is one of ``workspace``'s)."""
    if member.workspace_id != workspace.pk:
        return Activity.objects.none()
    # By member alone: the (member, occurred_at) index then answers the page's count
    # without reading the rows.
    return (
        Activity.objects.filter(member=member)
        .select_related("channel")
        .order_by("-occurred_at", "-id")
    )


def workspace_tags(workspace: Workspace) -> QuerySet[Tag]:
    return Tag.objects.filter(workspace=workspace).order_by("name")


@dataclass(frozen=True)
class SuggestionFilter:
    min_score: float = 0.0
    kind: str = ""


def open_merge_suggestions(
    workspace: Workspace, filters: SuggestionFilter
) -> QuerySet[MergeSuggestion]:
    """Open suggestions of ``workspace``, best first, narrowed by score and evidence."""
    suggestions = MergeSuggestion.objects.filter(
        workspace=workspace, status=MergeSuggestion.Status.OPEN, score__gte=filters.min_score
    ).select_related("member_a", "member_b")
    if filters.kind:
        # JSON containment is not portable to SQLite; the evidence list is tiny.
        ids = [s.pk for s in suggestions if filters.kind in s.evidence_kinds]
        suggestions = suggestions.filter(pk__in=ids)
    return suggestions.prefetch_related("member_a__identities", "member_b__identities")


def get_merge_suggestion(workspace: Workspace, suggestion_id: int) -> MergeSuggestion:
    try:
        return MergeSuggestion.objects.select_related("member_a", "member_b").get(
            workspace=workspace, pk=suggestion_id
        )
    except MergeSuggestion.DoesNotExist as exc:
        raise Http404("suggestion") from exc


def get_identity(workspace: Workspace, identity_id: int) -> Identity:
    try:
        return Identity.objects.select_related("member").get(workspace=workspace, pk=identity_id)
    except Identity.DoesNotExist as exc:
        raise Http404("identity") from exc


# --- Churn risk ------------------------------------------------------------------------

#: How many members at risk the churn page and ``qunyun churn`` list.
AT_RISK_SHOWN = 20


def latest_churn_run(workspace: Workspace) -> ChurnModelRun | None:
    """The newest churn model run of ``workspace``, whatever its status."""
    return ChurnModelRun.objects.filter(workspace=workspace).first()


def members_at_risk(workspace: Workspace, limit: int = AT_RISK_SHOWN) -> QuerySet[Member]:
    """Non-bot members active in the 30 days up to the last run's day (the people the
    model is for) whose churn risk is highest, highest first.

    Members quiet for longer have gone already; they keep a score but are not listed.
    """
    members = Member.objects.filter(workspace=workspace, is_bot=False, churn_risk__isnull=False)
    run = ChurnModelRun.objects.filter(workspace=workspace, status=ChurnModelRun.Status.OK).first()
    if run is not None and run.as_of is not None:
        zone = ZoneInfo(workspace.time_zone)
        since = datetime.combine(run.as_of - timedelta(days=ACTIVE_WINDOW - 1), time(), zone)
        until = datetime.combine(run.as_of + timedelta(days=1), time(), zone)
        recent = Activity.objects.filter(
            member=OuterRef("pk"),
            occurred_at__gte=since,
            occurred_at__lt=until,
            kind__in=[str(kind) for kind in ACTIVE_KINDS],
        )
        members = members.filter(Exists(recent))
    return members.order_by("-churn_risk", "id")[:limit]


def churn_report(run: ChurnModelRun, at_risk: list[Member]) -> dict[str, Any]:
    """The run and the members most at risk as plain data (``qunyun churn --json``)."""
    return {
        "status": run.status,
        "problem": churn_problem_text(run) if run.status != ChurnModelRun.Status.OK else None,
        "horizon_days": run.horizon_days,
        "as_of": _iso(run.as_of),
        "train_cutoff": _iso(run.train_cutoff),
        "test_cutoff": _iso(run.test_cutoff),
        "n_train": run.n_train,
        "n_test": run.n_test,
        "test_churn_rate": run.test_churn_rate,
        "auc": run.auc,
        "pr_auc": run.pr_auc,
        "precision_at_k": run.precision_at_k,
        "k": run.k,
        "brier": run.brier,
        "baseline_auc": run.baseline_auc,
        "baseline_precision_at_k": run.baseline_precision_at_k,
        "top_features": run.feature_importance[:5],
        "members_scored": run.members_scored,
        "at_risk": [
            {
                "member_id": m.pk,
                "display_name": m.display_name,
                "risk": m.churn_risk,
                "reasons": churn_reason_sentences(m.churn_reasons),
                "reason_data": m.churn_reasons,
            }
            for m in at_risk
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def segment_counts(workspace: Workspace) -> dict[str, int]:
    """Members per stored segment (every segment present, zeros included)."""
    counts = dict.fromkeys(PRECEDENCE, 0)
    rows = (
        Member.objects.filter(workspace=workspace)
        .exclude(segment="")
        .values("segment")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["segment"]] = row["n"]
    return counts

"""Reads of members for pages, the API and exports: always scoped to one workspace."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from qunyun.activity.models import Activity
from qunyun.members.models import Identity, Member, MergeSuggestion, Tag
from qunyun.workspaces.models import Workspace

#: Sort keys the members list accepts → ORM ordering.
MEMBER_SORTS: dict[str, list[str]] = {
    "name": ["display_name", "id"],
    "-name": ["-display_name", "-id"],
    "last_seen": ["last_seen_at", "id"],
    "-last_seen": ["-last_seen_at", "-id"],
    "first_seen": ["first_seen_at", "id"],
    "-first_seen": ["-first_seen_at", "-id"],
    "messages": ["message_count", "id"],
    "-messages": ["-message_count", "-id"],
}
DEFAULT_MEMBER_SORT = "-last_seen"


@dataclass(frozen=True)
class MemberFilter:
    query: str = ""
    tag: str = ""
    sort: str = DEFAULT_MEMBER_SORT


def member_list(workspace: Workspace, filters: MemberFilter) -> QuerySet[Member]:
    """Members of ``workspace`` matching the search text and tag, in the chosen order."""
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
    ordering = MEMBER_SORTS.get(filters.sort, MEMBER_SORTS[DEFAULT_MEMBER_SORT])
    return members.order_by(*ordering).prefetch_related("tags", "identities")


def get_member(workspace: Workspace, member_id: int) -> Member:
    """The member ``member_id`` of ``workspace``, or 404 (never another workspace's)."""
    try:
        return Member.objects.prefetch_related("identities", "tags").get(
            workspace=workspace, pk=member_id
        )
    except Member.DoesNotExist as exc:
        raise Http404("member") from exc


def member_timeline(workspace: Workspace, member: Member) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(workspace=workspace, member=member)
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

"""Keep each member's denormalised figures (first/last seen, counts) in step."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max, Min, Q

from qunyun.activity.models import Activity
from qunyun.ingest.records import MESSAGE_KINDS
from qunyun.members.models import Member
from qunyun.workspaces.models import Workspace

CHUNK = 500


def do_refresh_member_stats(workspace: Workspace, member_ids: Iterable[int]) -> int:
    """Recompute first/last seen and counts of ``member_ids`` from their activities."""
    ids = sorted(set(member_ids))
    updated = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        figures = {
            row["member_id"]: row
            for row in Activity.objects.filter(workspace=workspace, member_id__in=chunk)
            .values("member_id")
            .annotate(
                first=Min("occurred_at"),
                last=Max("occurred_at"),
                n=Count("id"),
                messages=Count("id", filter=Q(kind__in=[str(k) for k in MESSAGE_KINDS])),
            )
            .order_by()
        }
        members = list(Member.objects.filter(workspace=workspace, pk__in=chunk))
        for member in members:
            row = figures.get(member.pk)
            member.first_seen_at = row["first"] if row else None
            member.last_seen_at = row["last"] if row else None
            member.activity_count = row["n"] if row else 0
            member.message_count = row["messages"] if row else 0
        Member.objects.bulk_update(
            members,
            ["first_seen_at", "last_seen_at", "activity_count", "message_count"],
            batch_size=1000,
        )
        updated += len(members)
    return updated

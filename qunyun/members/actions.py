"""Writes to members: tags (merges and notes come with later issues)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from qunyun.members.models import Member, Tag
from qunyun.workspaces.models import Workspace


@transaction.atomic
def do_tag_members(
    workspace: Workspace, tag_name: str, member_ids: Iterable[int], *, color: str = "#64748b"
) -> Tag:
    """Put the tag ``tag_name`` (created when absent) on the given members of ``workspace``."""
    tag, _created = Tag.objects.get_or_create(
        workspace=workspace, name=tag_name, defaults={"color": color}
    )
    members = Member.objects.filter(workspace=workspace, pk__in=list(member_ids))
    through = Member.tags.through
    through.objects.bulk_create(
        [through(member_id=m.pk, tag_id=tag.pk) for m in members], ignore_conflicts=True
    )
    return tag

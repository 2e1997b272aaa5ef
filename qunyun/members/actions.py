"""Tagging members: a tag, created when absent, put on members, with its audit event
(today the demo tags its key members and its bots this way).

Other writes to members live beside what they need: merging and unmerging in
:mod:`qunyun.members.merging`, duplicate finding in :mod:`qunyun.members.suggestions`,
segments and scores in :mod:`qunyun.members.scoring`, churn risk in
:mod:`qunyun.members.churn`, the denormalised figures in :mod:`qunyun.members.stats`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.members.models import Member, Tag
from qunyun.workspaces.models import Workspace


@transaction.atomic
def do_tag_members(
    workspace: Workspace,
    tag_name: str,
    member_ids: Iterable[int],
    *,
    color: str = "#64748b",
    acting_user: User | None = None,
) -> Tag:
    """Put the tag ``tag_name`` (created when absent) on the given members of ``workspace``."""
    tag, _created = Tag.objects.get_or_create(
        workspace=workspace, name=tag_name, defaults={"color": color}
    )
    members = Member.objects.filter(workspace=workspace, pk__in=list(member_ids))
    through = Member.tags.through
    ids = sorted(members.values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(member_id=pk, tag_id=tag.pk) for pk in ids], ignore_conflicts=True
    )
    record_event(
        AuditAction.MEMBERS_TAGGED,
        workspace=workspace,
        actor=acting_user,
        target=f"tag:{tag.pk}",
        tag=tag.name,
        members=ids[:1000],
        count=len(ids),
    )
    return tag

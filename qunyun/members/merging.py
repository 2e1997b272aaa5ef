"""Merging members: one person across platforms, and undoing it.

A merge moves the absorbed member's identities and activities to the kept member and
deletes the absorbed member. Activities keep their identity, so
:func:`do_unmerge_identity` can give an identity and exactly its activities back to a
member of its own. Nothing is ever copied: no activity is lost or doubled. Every merge
and unmerge leaves an audit event and marks the analytics snapshot for a rebuild.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from qunyun.activity.models import Activity, SnapshotState
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.errors import QunyunError
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.members.stats import do_refresh_member_stats
from qunyun.workspaces.models import Workspace


class MergeError(QunyunError, ValueError):
    """The merge asked for cannot be done (the message says why, translated)."""

    code = "merge_refused"
    http_status = 409


@transaction.atomic
def do_merge_members(
    workspace: Workspace,
    keep: Member,
    absorb: Member,
    *,
    acting_user: User | None,
    reason: str = "manual",
    evidence: list[dict[str, str]] | None = None,
) -> Member:
    """Fold ``absorb`` into ``keep`` (both of ``workspace``); return the kept member."""
    from django.utils.translation import gettext as _

    if keep.pk == absorb.pk:
        raise MergeError(_("A member cannot be merged with themself."))
    if keep.workspace_id != workspace.pk or absorb.workspace_id != workspace.pk:
        raise MergeError(_("Both members must belong to this workspace."))
    identities = list(absorb.identities.values_list("id", "platform", "external_id"))
    moved = Activity.objects.filter(workspace=workspace, member=absorb).update(member=keep)
    Identity.objects.filter(workspace=workspace, member=absorb).update(member=keep)
    keep.tags.add(*absorb.tags.all())
    if absorb.notes:
        keep.notes = f"{keep.notes}\n{absorb.notes}".strip()
    if not keep.display_name:
        keep.display_name = absorb.display_name
    keep.is_bot = keep.is_bot or absorb.is_bot
    keep.save(update_fields=["notes", "display_name", "is_bot"])
    record_event(
        AuditAction.MEMBERS_MERGED,
        workspace=workspace,
        actor=acting_user,
        target=f"member:{keep.pk}",
        kept=keep.pk,
        absorbed=absorb.pk,
        absorbed_name=absorb.display_name,
        identities=[f"{p}:{e}" for _i, p, e in identities],
        activities_moved=moved,
        reason=reason,
        evidence=evidence or [],
    )
    absorb.delete()
    do_refresh_member_stats(workspace, [keep.pk])
    _snapshot_is_stale(workspace)
    keep.refresh_from_db()
    return keep


@transaction.atomic
def do_unmerge_identity(
    workspace: Workspace, identity: Identity, *, acting_user: User | None
) -> Member:
    """Give ``identity`` and its activities a member of their own again; return it."""
    from django.utils.translation import gettext as _

    old = identity.member
    if old.identities.count() < 2:
        raise MergeError(_("This is the member's only identity: there is nothing to unmerge."))
    new = Member.objects.create(
        workspace=workspace,
        display_name=identity.display_name or identity.handle,
        is_bot=identity.is_bot,
    )
    identity.member = new
    identity.save(update_fields=["member"])
    moved = Activity.objects.filter(workspace=workspace, identity=identity).update(member=new)
    a, b = sorted([old.pk, new.pk])
    MergeSuggestion.objects.update_or_create(
        workspace=workspace,
        member_a_id=a,
        member_b_id=b,
        defaults={
            "score": 0.0,
            "status": MergeSuggestion.Status.REJECTED,
            "decided_by": acting_user if getattr(acting_user, "is_authenticated", False) else None,
            "decided_at": timezone.now(),
            "evidence": [
                {"kind": "unmerged", "detail": f"{identity.platform}:{identity.external_id}"}
            ],
        },
    )
    record_event(
        AuditAction.MEMBER_UNMERGED,
        workspace=workspace,
        actor=acting_user,
        target=f"member:{old.pk}",
        identity=f"{identity.platform}:{identity.external_id}",
        new_member=new.pk,
        activities_moved=moved,
    )
    do_refresh_member_stats(workspace, [old.pk, new.pk])
    _snapshot_is_stale(workspace)
    new.refresh_from_db()
    return new


@transaction.atomic
def do_decide_suggestion(
    workspace: Workspace, suggestion: MergeSuggestion, *, accept: bool, acting_user: User | None
) -> Member | None:
    """Accept (merge the two members) or reject a suggestion; return the kept member."""
    suggestion.status = (
        MergeSuggestion.Status.ACCEPTED if accept else MergeSuggestion.Status.REJECTED
    )
    suggestion.decided_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    if not accept:
        record_event(
            AuditAction.MERGE_SUGGESTION_REJECTED,
            workspace=workspace,
            actor=acting_user,
            target=f"suggestion:{suggestion.pk}",
            members=[suggestion.member_a_id, suggestion.member_b_id],
        )
        return None
    keep, absorb = _keeper(suggestion.member_a, suggestion.member_b)
    return do_merge_members(
        workspace,
        keep,
        absorb,
        acting_user=acting_user,
        reason="suggestion",
        evidence=suggestion.evidence,
    )


def _keeper(a: Member, b: Member) -> tuple[Member, Member]:
    """Keep the member with more history (then the older one)."""
    if (b.activity_count, -b.pk) > (a.activity_count, -a.pk):
        return b, a
    return a, b


def _snapshot_is_stale(workspace: Workspace) -> None:
    SnapshotState.objects.filter(workspace=workspace).update(needs_rebuild=True)

"""Reads for the team page and the invitation link; they never write."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from qunyun.team.models import Invitation
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership
from qunyun.workspaces.tokens import token_hash

#: The order of roles on the page: owners first.
ROLE_ORDER = [Role.OWNER, Role.ADMIN, Role.OPERATOR, Role.ANALYST, Role.MODERATOR]


def teammates(workspace: Workspace) -> QuerySet[WorkspaceMembership]:
    """The workspace's memberships with their users, owners first, then by username."""
    rank = Case(
        *[When(role=role, then=Value(i)) for i, role in enumerate(ROLE_ORDER)],
        default=Value(len(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        WorkspaceMembership.objects.filter(workspace=workspace)
        .select_related("user")
        .annotate(rank=rank)
        .order_by("rank", "user__username")
    )


def recent_invitations(workspace: Workspace, limit: int = 20) -> QuerySet[Invitation]:
    """The workspace's latest invitations, open or closed, with who made and used them."""
    return (
        Invitation.objects.filter(workspace=workspace)
        .select_related("created_by", "used_by")
        .order_by("-created_at")[:limit]
    )


def invitation_for_secret(secret: str) -> Invitation | None:
    """The invitation whose link carries ``secret`` (in any state), or None."""
    return (
        Invitation.objects.select_related("workspace").filter(token_hash=token_hash(secret)).first()
    )


def get_invitation(workspace: Workspace, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(workspace=workspace, pk=invitation_id).first()

"""Writes to who works in a workspace: the workspace itself, teammates and their roles,
invitations, and API tokens. Each is atomic and leaves its audit event.

The team's rules live here, for the team page and every other caller alike: a workspace
always keeps at least one owner; only an owner gives or takes away the owner role; an
invitation is used once, before it expires.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.team.errors import InvitationClosed, TeamError
from qunyun.team.models import INVITATION_DAYS, Invitation
from qunyun.workspaces.access import role_of
from qunyun.workspaces.models import ApiToken, Role, Workspace, WorkspaceMembership
from qunyun.workspaces.permissions import within
from qunyun.workspaces.tokens import TOKEN_PREFIX, TokenRoleError, token_hash

INVITATION_PREFIX = "qi_"


@transaction.atomic
def do_get_or_create_workspace(
    slug: str, *, name: str = "", time_zone: str = "", acting_user: User | None = None
) -> Workspace:
    """The workspace ``slug``, created with ``name`` (default: the slug) when absent."""
    from django.conf import settings

    workspace, created = Workspace.objects.get_or_create(
        slug=slug,
        defaults={"name": name or slug, "time_zone": time_zone or settings.TIME_ZONE},
    )
    if created:
        record_event(
            AuditAction.WORKSPACE_CREATED,
            workspace=workspace,
            actor=acting_user,
            target=f"workspace:{workspace.pk}",
            slug=slug,
        )
    return workspace


@transaction.atomic
def do_add_workspace_member(
    workspace: Workspace, user: User, role: str = Role.OWNER, *, acting_user: User | None = None
) -> None:
    """Give ``user`` the ``role`` in ``workspace`` (adding them, or changing their role)."""
    before = (
        WorkspaceMembership.objects.filter(workspace=workspace, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if before == role:
        return
    WorkspaceMembership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    record_event(
        AuditAction.TEAMMATE_ADDED if before is None else AuditAction.ROLE_CHANGED,
        workspace=workspace,
        actor=acting_user,
        target=f"user:{user.pk}",
        username=user.get_username(),
        role=role,
        previous_role=before,
    )


@transaction.atomic
def do_create_api_token(
    workspace: Workspace, user: User, *, name: str, role: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` in ``workspace``; returns the row and the secret (once).

    The token's role is at most the user's own role in the workspace: a role that could
    do anything the user may not raises :class:`TokenRoleError` and creates nothing.
    """
    user_role = role_of(user, workspace)
    if user_role is None:
        raise TokenRoleError(_("The user is not a member of this workspace."))
    role = role or user_role
    if not within(role, user_role):
        raise TokenRoleError(
            _(
                "A token may not outrank its user: %(user)s is %(user_role)s in this "
                "workspace, so the token cannot be %(role)s."
            )
            % {
                "user": user.get_username(),
                "user_role": Role(user_role).label,
                "role": Role(role).label,
            }
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        workspace=workspace,
        role=role,
        name=name[:100],
        prefix=secret[:10],
        token_hash=token_hash(secret),
    )
    record_event(
        AuditAction.API_TOKEN_CREATED,
        workspace=workspace,
        actor=user,
        target=f"token:{token.pk}",
        name=token.name,
        role=token.role,
    )
    return token, secret


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, acting_user: User | None) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    record_event(
        AuditAction.API_TOKEN_REVOKED,
        workspace=token.workspace,
        actor=acting_user,
        target=f"token:{token.pk}",
        name=token.name,
    )


# -- the team page's writes ---------------------------------------------------------------


def _refuse_unless_may_grant(
    workspace: Workspace, acting_user: User | None, *roles: str | None
) -> None:
    """The acting user may hand out (or take away) each of ``roles``: never a role that
    outranks their own, and the owner role only as an owner. ``None`` acts for the
    installation (the CLI) and may do anything."""
    if acting_user is None:
        return
    own = role_of(acting_user, workspace)
    if own is None:
        raise TeamError(_("You are not a member of this workspace."))
    for role in roles:
        if role is None:
            continue
        if (role == Role.OWNER and own != Role.OWNER) or not within(role, own):
            raise TeamError(_("Only an owner may give or take away the owner role."))


def _refuse_losing_the_last_owner(workspace: Workspace, user: User, new_role: str | None) -> None:
    """Refuse a change that would leave ``workspace`` without an owner (locking the
    owners' rows first, so two owners demoting each other cannot both succeed)."""
    owners = list(
        WorkspaceMembership.objects.select_for_update()
        .filter(workspace=workspace, role=Role.OWNER)
        .values_list("user_id", flat=True)
    )
    if new_role != Role.OWNER and owners == [user.pk]:
        raise TeamError(
            _("%(user)s is the last owner of this workspace: make someone else an owner first.")
            % {"user": user.get_username()}
        )


def _membership(workspace: Workspace, user: User) -> WorkspaceMembership:
    membership = WorkspaceMembership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise TeamError(
            _("%(user)s is not a member of this workspace.") % {"user": user.get_username()}
        )
    return membership


@transaction.atomic
def do_change_teammate_role(
    workspace: Workspace, user: User, role: str, *, acting_user: User | None
) -> None:
    """Give the teammate ``user`` the ``role`` (audited as ``role_changed``)."""
    membership = _membership(workspace, user)
    if membership.role == role:
        return
    _refuse_unless_may_grant(workspace, acting_user, membership.role, role)
    _refuse_losing_the_last_owner(workspace, user, role)
    do_add_workspace_member(workspace, user, role, acting_user=acting_user)


@transaction.atomic
def do_remove_teammate(workspace: Workspace, user: User, *, acting_user: User | None) -> None:
    """Take ``user`` off the team: their membership goes, and their API tokens for this
    workspace are revoked (so they stay dead if the user is ever invited back)."""
    membership = _membership(workspace, user)
    _refuse_unless_may_grant(workspace, acting_user, membership.role)
    _refuse_losing_the_last_owner(workspace, user, None)
    membership.delete()
    tokens = ApiToken.objects.filter(
        workspace=workspace, user=user, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    record_event(
        AuditAction.TEAMMATE_REMOVED,
        workspace=workspace,
        actor=acting_user,
        target=f"user:{user.pk}",
        username=user.get_username(),
        role=membership.role,
        tokens_revoked=tokens,
    )


@transaction.atomic
def do_invite_teammate(
    workspace: Workspace, role: str, *, note: str = "", acting_user: User | None
) -> tuple[Invitation, str]:
    """A one-time invitation into the team with ``role``; returns the row and the secret
    of its link (shown once: only its hash is stored)."""
    _refuse_unless_may_grant(workspace, acting_user, role)
    secret = INVITATION_PREFIX + secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        role=role,
        note=note.strip()[:100],
        token_hash=token_hash(secret),
        created_by=acting_user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    record_event(
        AuditAction.TEAMMATE_INVITED,
        workspace=workspace,
        actor=acting_user,
        target=f"invitation:{invitation.pk}",
        role=role,
        note=invitation.note,
        expires_at=invitation.expires_at.isoformat(),
    )
    return invitation, secret


@transaction.atomic
def do_revoke_invitation(invitation: Invitation, *, acting_user: User | None) -> None:
    """Close an open invitation before it is used (a used one is left as it was)."""
    closed = Invitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if closed:
        record_event(
            AuditAction.INVITATION_REVOKED,
            workspace=invitation.workspace,
            actor=acting_user,
            target=f"invitation:{invitation.pk}",
            role=invitation.role,
        )


def closed_reason(invitation: Invitation | None) -> str | None:
    """Why the invitation no longer opens the team (a sentence), or None if it does."""
    if invitation is None:
        return _("This invitation link is not valid. Ask the person who sent it for a new one.")
    if invitation.used_at is not None:
        return _("This invitation link has already been used. Each link works once.")
    if invitation.revoked_at is not None:
        return _("This invitation was withdrawn. Ask the person who sent it for a new one.")
    if invitation.expires_at <= timezone.now():
        return _(
            "This invitation link expired on %(date)s. Ask the person who sent it for a new one."
        ) % {"date": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")}
    return None


@transaction.atomic
def do_accept_invitation(secret: str, user: User) -> Invitation:
    """``user`` joins the invitation's workspace with its role, and the link closes.

    The link is claimed by one conditional update, so of two people opening it at the
    same moment only one joins; a closed link raises :class:`InvitationClosed`, and a
    user already on the team raises :class:`TeamError` (the link stays open for its
    intended invitee).
    """
    invitation = (
        Invitation.objects.select_related("workspace", "created_by")
        .filter(token_hash=token_hash(secret))
        .first()
    )
    reason = closed_reason(invitation)
    if invitation is None or reason is not None:
        raise InvitationClosed(reason or "")
    workspace = invitation.workspace
    current = role_of(user, workspace) if not user.is_superuser else None
    if current is not None:
        raise TeamError(
            _("You are already on this team, as %(role)s; this link is for someone else.")
            % {"role": Role(current).label}
        )
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, used_by=user)
    if not claimed:
        invitation.refresh_from_db()
        raise InvitationClosed(closed_reason(invitation) or "")
    WorkspaceMembership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": invitation.role}
    )
    record_event(
        AuditAction.INVITATION_ACCEPTED,
        workspace=workspace,
        actor=user,
        target=f"user:{user.pk}",
        username=user.get_username(),
        role=invitation.role,
        invitation=invitation.pk,
        invited_by=invitation.created_by.get_username() if invitation.created_by else None,
    )
    return invitation


@transaction.atomic
def do_accept_invitation_as_new_user(secret: str, username: str, password: str) -> User:
    """A new account for the invitee, joined to the team; nothing is created when the
    link turns out to be closed. ``username`` and ``password`` are already validated."""
    user = User.objects.create_user(username=username, password=password)
    do_accept_invitation(secret, user)
    return user

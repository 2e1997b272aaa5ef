"""Writes to who works in a workspace: the workspace itself, teammates and their roles,
and API tokens. Each is atomic and leaves its audit event."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.workspaces.access import role_of
from qunyun.workspaces.models import ApiToken, Role, Workspace, WorkspaceMembership
from qunyun.workspaces.permissions import within
from qunyun.workspaces.tokens import TOKEN_PREFIX, TokenRoleError, token_hash


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

"""Create, check and revoke API tokens (hashed at rest).

A token never outranks its user: it is created with at most the user's capabilities,
and on every request it may do only what both its own role and the user's role *now*
allow (a demoted user's tokens are demoted with them; a removed or deactivated user's
tokens stop).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from qunyun.audit.actions import record_event
from qunyun.workspaces.access import role_of
from qunyun.workspaces.models import ApiToken, Role, Workspace, WorkspaceMembership
from qunyun.workspaces.permissions import within

TOKEN_PREFIX = "qy_"  # noqa: S105 — a marker, not a secret


class TokenRoleError(PermissionError):
    """A token was asked for a role its user does not hold (the message says which)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_api_token(
    workspace: Workspace, user: Any, *, name: str, role: str | None = None
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
        token_hash=_hash(secret),
    )
    record_event(
        "api_token_created",
        workspace=workspace,
        actor=user,
        target=f"token:{token.pk}",
        name=token.name,
        role=token.role,
    )
    return token, secret


def find_api_token(secret: str) -> ApiToken | None:
    """The live token for ``secret``, or None: unknown, revoked, its user inactive, or
    its user no longer a member of the token's workspace.

    The row comes with ``user_role``: the user's role in the workspace at this moment
    (``"owner"`` for a superuser), read in the same query.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    current_role = WorkspaceMembership.objects.filter(
        user=OuterRef("user_id"), workspace=OuterRef("workspace_id")
    ).values("role")[:1]
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .annotate(user_role=Subquery(current_role))
        .filter(token_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.user_role is None:  # type: ignore[attr-defined]
        if not token.user.is_superuser:
            return None
        token.user_role = Role.OWNER  # type: ignore[attr-defined]
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, acting_user: Any) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    record_event(
        "api_token_revoked",
        workspace=token.workspace,
        actor=acting_user,
        target=f"token:{token.pk}",
        name=token.name,
    )

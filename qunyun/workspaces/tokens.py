"""API tokens at rest (hashed) and the check of one on every request.

A token never outranks its user: on every request it may do only what both its own
role and the user's role *now* allow (a demoted user's tokens are demoted with them; a
removed or deactivated user's tokens stop). Issuing and revoking are audited writes in
``qunyun/team/actions.py``, which also refuses a token above its user's role.
"""

from __future__ import annotations

import hashlib

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from qunyun.errors import QunyunError
from qunyun.workspaces.models import ApiToken, Role, WorkspaceMembership

TOKEN_PREFIX = "qy_"  # noqa: S105 — a marker, not a secret


class TokenRoleError(QunyunError, PermissionError):
    """A token was asked for a role its user does not hold (the message says which).

    Still a PermissionError: the token command catches it as one.
    """

    code = "token_role"
    http_status = 403


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True, user__is_active=True)
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

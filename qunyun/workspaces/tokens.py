"""Create, check and revoke API tokens (hashed at rest)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from qunyun.audit.actions import record_event
from qunyun.workspaces.access import role_of
from qunyun.workspaces.models import ApiToken, Workspace

TOKEN_PREFIX = "qy_"  # noqa: S105 — a marker, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_api_token(
    workspace: Workspace, user: Any, *, name: str, role: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` in ``workspace``; returns the row and the secret (once).

    The token's role is at most the user's own role in the workspace.
    """
    from django.utils.translation import gettext as _

    user_role = role_of(user, workspace)
    if user_role is None:
        raise PermissionError(_("The user is not a member of this workspace."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        workspace=workspace,
        role=role or user_role,
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
    """The live token for ``secret``, or None (unknown, revoked, or its user inactive)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(token_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
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

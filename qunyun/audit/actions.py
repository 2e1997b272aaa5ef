"""Record audit events; every action that matters calls :func:`record_event`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from qunyun.audit.events import AuditAction, BackOfficeAction
from qunyun.audit.models import AuditEvent
from qunyun.workspaces.models import Workspace


def record_event(
    action: AuditAction | BackOfficeAction,
    *,
    workspace: Workspace | None,
    actor: User | None = None,
    target: str = "",
    **params: Any,
) -> AuditEvent:
    """Append one event (inside the caller's transaction, so it lands with the change).

    ``action`` is one of the named :class:`AuditAction` events, or a back-office change
    made by :func:`~qunyun.audit.events.back_office_action`: never a free string.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        workspace=workspace, actor=user, action=action, target=target[:128], params=params
    )

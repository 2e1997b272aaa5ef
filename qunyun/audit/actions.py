"""Record audit events; every action that matters calls :func:`record_event`."""

from __future__ import annotations

from typing import Any

from qunyun.audit.models import AuditEvent
from qunyun.workspaces.models import Workspace


def record_event(
    action: str,
    *,
    workspace: Workspace | None,
    actor: Any = None,
    target: str = "",
    **params: Any,
) -> AuditEvent:
    """Append one event (inside the caller's transaction, so it lands with the change)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        workspace=workspace, actor=user, action=action, target=target[:128], params=params
    )

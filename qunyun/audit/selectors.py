"""Reads of the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from qunyun.audit.models import AuditEvent
from qunyun.workspaces.models import Workspace


def workspace_audit_events(workspace: Workspace, *, action: str = "") -> QuerySet[AuditEvent]:
    """The workspace's events, newest first, optionally of one action."""
    events = AuditEvent.objects.filter(workspace=workspace).select_related("actor")
    if action:
        events = events.filter(action=action)
    return events.order_by("-created_at", "-id")


def workspace_audit_actions(workspace: Workspace) -> list[str]:
    return sorted(
        AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True).distinct()
    )

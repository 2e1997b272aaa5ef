"""Writes the dashboards make: for now, the audit trail of exports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.audit.models import AuditEvent
from qunyun.workspaces.models import Workspace


def do_record_export(
    workspace: Workspace,
    *,
    table: str,
    file_format: str,
    filters: dict[str, Any],
    rows: int,
    acting_user: User | None,
) -> AuditEvent:
    """Leave the audit event of one export: which table, in which format, filtered how."""
    return record_event(
        AuditAction.TABLE_EXPORTED,
        workspace=workspace,
        actor=acting_user,
        target=f"export:{table}",
        table=table,
        format=file_format,
        filters=filters,
        rows=rows,
    )

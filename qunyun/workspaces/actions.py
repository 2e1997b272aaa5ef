"""Writes to workspaces and memberships."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qunyun.audit.actions import record_event
from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership


@transaction.atomic
def do_get_or_create_workspace(
    slug: str, *, name: str = "", time_zone: str = "", acting_user: Any = None
) -> Workspace:
    """The workspace ``slug``, created with ``name`` (default: the slug) when absent."""
    from django.conf import settings

    workspace, created = Workspace.objects.get_or_create(
        slug=slug,
        defaults={"name": name or slug, "time_zone": time_zone or settings.TIME_ZONE},
    )
    if created:
        record_event(
            "workspace_created",
            workspace=workspace,
            actor=acting_user,
            target=f"workspace:{workspace.pk}",
            slug=slug,
        )
    return workspace


@transaction.atomic
def do_add_workspace_member(
    workspace: Workspace, user: Any, role: str = Role.OWNER, *, acting_user: Any = None
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
        "teammate_added" if before is None else "role_changed",
        workspace=workspace,
        actor=acting_user,
        target=f"user:{user.pk}",
        username=user.get_username(),
        role=role,
        previous_role=before,
    )

"""Writes to workspaces and memberships."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qunyun.workspaces.models import Role, Workspace, WorkspaceMembership


@transaction.atomic
def do_get_or_create_workspace(slug: str, *, name: str = "", time_zone: str = "") -> Workspace:
    """The workspace ``slug``, created with ``name`` (default: the slug) when absent."""
    from django.conf import settings

    workspace, _created = Workspace.objects.get_or_create(
        slug=slug,
        defaults={"name": name or slug, "time_zone": time_zone or settings.TIME_ZONE},
    )
    return workspace


@transaction.atomic
def do_add_workspace_member(workspace: Workspace, user: Any, role: str = Role.OWNER) -> None:
    WorkspaceMembership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )

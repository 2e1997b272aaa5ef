"""The one way views reach a workspace: through the requesting user's membership."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from qunyun.workspaces.models import Workspace, WorkspaceMembership


def workspaces_for_user(user: Any) -> QuerySet[Workspace]:
    """The workspaces ``user`` is a member of (all of them for a superuser)."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    if user.is_superuser:
        return Workspace.objects.all()
    return Workspace.objects.filter(memberships__user=user)


def get_workspace_for_user(user: Any, slug: str) -> Workspace:
    """The workspace ``slug`` if ``user`` may see it; 404 otherwise (never 403: no leak)."""
    try:
        return workspaces_for_user(user).get(slug=slug)
    except Workspace.DoesNotExist as exc:
        raise Http404("workspace") from exc


def role_of(user: Any, workspace: Workspace) -> str | None:
    membership = WorkspaceMembership.objects.filter(user=user, workspace=workspace).first()
    if membership:
        return membership.role
    return "owner" if getattr(user, "is_superuser", False) else None

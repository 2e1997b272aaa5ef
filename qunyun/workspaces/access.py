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


def workspace_and_role(user: Any, slug: str) -> tuple[Workspace, str | None]:
    """The workspace ``slug`` and ``user``'s role in it, in one query; 404 as above.

    What every page and API call needs first (:func:`get_workspace_for_user` then
    :func:`role_of`, without the second round trip).
    """
    if user.is_authenticated:
        membership = (
            WorkspaceMembership.objects.select_related("workspace")
            .filter(user=user, workspace__slug=slug)
            .first()
        )
        if membership is not None:
            return membership.workspace, membership.role
        if user.is_superuser:
            return get_workspace_for_user(user, slug), "owner"
    raise Http404("workspace")

"""The decorator every workspace page uses: access, role, time zone in one place."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from qunyun.workspaces.access import workspace_and_role
from qunyun.workspaces.permissions import ROLE_CAPABILITIES, Capability, may

WorkspaceView = Callable[..., HttpResponse]


def roles_with(capability: Capability) -> frozenset[str]:
    return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


#: Roles that may change members (merge, unmerge, tag). Analysts only read.
MEMBER_EDITORS = roles_with(Capability.EDIT_MEMBERS)


class WorkspaceRequest(HttpRequest):
    """The request a workspace page receives: a logged-in user whose role in the
    workspace ``workspace_page`` has read and checked (healthchecks'
    ``AuthenticatedHttpRequest``)."""

    user: User
    workspace_role: str


def signed_in_user(request: HttpRequest) -> User | None:
    """The request's user when signed in, else ``None`` (what actions take as the actor)."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def workspace_page(
    view: WorkspaceView | None = None,
    *,
    capability: Capability = Capability.VIEW,
    post: Capability | None = None,
) -> Any:
    """A logged-in page of one workspace — the only way a view reaches a workspace.

    The workspace comes through the access helper (404 for anyone outside it); the
    user's role must hold ``capability`` (``post`` for POST requests when given; 403
    otherwise; see :mod:`qunyun.workspaces.permissions`); the workspace is remembered for
    the next visit, and times are shown in its time zone. The capabilities are recorded
    on the view (``workspace_capabilities``) for the permission tests.
    """

    def decorate(inner: WorkspaceView) -> WorkspaceView:
        @login_required
        @wraps(inner)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            workspace, role = workspace_and_role(request.user, slug)
            needed = post if (post is not None and request.method == "POST") else capability
            if role is None or not may(role, needed):
                raise PermissionDenied
            if request.session.get("workspace") != workspace.slug:
                request.session["workspace"] = workspace.slug  # a session write: only on change
            page_request = cast(WorkspaceRequest, request)
            page_request.workspace_role = role
            with timezone.override(zoneinfo.ZoneInfo(workspace.time_zone)):
                return inner(page_request, workspace, **kwargs)

        wrapper.workspace_capabilities = {  # type: ignore[attr-defined]
            "GET": capability,
            "POST": post or capability,
        }
        return wrapper

    return decorate(view) if view is not None else decorate

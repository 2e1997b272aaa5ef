"""The decorator every workspace page uses: access, role, time zone in one place."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from qunyun.workspaces.access import get_workspace_for_user, role_of

WorkspaceView = Callable[..., HttpResponse]

#: Roles that may change members (merge, unmerge, tag). Analysts only read.
MEMBER_EDITORS = frozenset({"owner", "admin", "operator"})
#: Roles that may read the audit log.
AUDIT_READERS = frozenset({"owner", "admin"})


def workspace_page(
    view: WorkspaceView | None = None, *, roles: Collection[str] | None = None
) -> Any:
    """A logged-in page of one workspace.

    The workspace comes through the access helper (404 for anyone outside it), the
    user's role must be in ``roles`` when given (403 otherwise), the workspace is
    remembered for the next visit, and times are shown in its time zone.
    """

    def decorate(inner: WorkspaceView) -> WorkspaceView:
        @login_required
        @wraps(inner)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            workspace = get_workspace_for_user(request.user, slug)
            role = role_of(request.user, workspace)
            if roles is not None and role not in roles:
                raise PermissionDenied
            request.session["workspace"] = workspace.slug
            request.workspace_role = role  # type: ignore[attr-defined]
            with timezone.override(zoneinfo.ZoneInfo(workspace.time_zone)):
                return inner(request, workspace, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate

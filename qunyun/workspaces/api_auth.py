"""How the REST API knows who is calling: a bearer token, or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer

from qunyun.workspaces.access import get_workspace_for_user, role_of
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.permissions import Capability, may
from qunyun.workspaces.tokens import find_api_token


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer qy_…`` — a token scoped to one workspace and one role."""

    openapi_description = "A personal API token (create one with `qunyun token create`)."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = find_api_token(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found


def workspace_for_api(
    request: HttpRequest, slug: str, capability: Capability = Capability.VIEW
) -> tuple[Workspace, str | None]:
    """The workspace ``slug`` and the caller's role there; 404 when out of reach, 403
    when the role lacks ``capability`` (qunyun.workspaces.permissions).

    A token reaches only its own workspace, with its own role.
    """
    token = getattr(request, "api_token", None)
    if token is not None:
        if token.workspace.slug != slug:
            raise Http404("workspace")
        workspace, role = token.workspace, token.role
    else:
        workspace = get_workspace_for_user(request.user, slug)
        role = role_of(request.user, workspace)
    if not may(role, capability):
        raise HttpError(403, _("Your role may not do this in this workspace."))
    return workspace, role

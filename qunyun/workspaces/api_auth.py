"""How the REST API knows who is calling: a bearer token, or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from qunyun.workspaces.access import workspace_and_role
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.permissions import Capability, may, may_all
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


class SessionCookieAuth(SessionAuth):
    """The browser session, with Django's CSRF check for a logged-in session only.

    A request that carries no logged-in session has nothing a forged request could
    borrow: it is answered 401 (no valid token or session), not "CSRF check failed".
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def workspace_for_api(
    request: HttpRequest, slug: str, capability: Capability = Capability.VIEW
) -> tuple[Workspace, str | None]:
    """The workspace ``slug`` and the caller's role there; 404 when out of reach, 403
    when the role lacks ``capability`` (qunyun.workspaces.permissions).

    A token reaches only its own workspace, and there may do only what both its own
    role and its user's role at this moment allow.
    """
    token = getattr(request, "api_token", None)
    if token is not None:
        if token.workspace.slug != slug:
            raise Http404("workspace")
        workspace, role = token.workspace, token.role
        allowed = may_all((token.role, token.user_role), capability)
    else:
        workspace, role = workspace_and_role(request.user, slug)
        allowed = may(role, capability)
    if not allowed:
        raise HttpError(403, _("Your role may not do this in this workspace."))
    return workspace, role


_ERROR_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "detail": {"title": "Detail"},
                    "code": {"title": "Code", "type": "string"},  # Qunyun's refusals only
                },
                "required": ["detail"],
            }
        }
    }
}
#: The errors every operation may answer with, in the same {"detail": …} shape (with a
#: ``code`` when the error is a QunyunError; docs/api.md, "Error codes").
ERROR_RESPONSES = {
    "401": {"description": "No valid token or session", **_ERROR_BODY},
    "403": {"description": "Your role may not do this (docs/security.md)", **_ERROR_BODY},
    "404": {"description": "No such workspace or object within your reach", **_ERROR_BODY},
    "422": {"description": "A parameter or the body is invalid (details name it)", **_ERROR_BODY},
    "429": {"description": "Rate limit reached; see the Retry-After header", **_ERROR_BODY},
}


def operation_docs(capability: Capability | None) -> dict[str, Any]:
    """``openapi_extra`` of an operation: the capability it needs and its error answers."""
    return {
        "x-capability": capability.value if capability is not None else "none",
        "responses": ERROR_RESPONSES,
    }

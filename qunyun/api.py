"""The REST API (django-ninja): one router per app, joined here. OpenAPI at /api/v1/docs.

Every answer is JSON, errors included (``{"detail": …}``; see qunyun/api_requests.py).
An operation raises a :class:`qunyun.errors.QunyunError` and the handler below answers
it — its status, its ``code`` and its message (docs/api.md, "Error codes").
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled, ValidationError

from qunyun.accounts.throttling import PerUserThrottle, too_many_requests
from qunyun.api_requests import (
    ApiParser,
    error_response,
    qunyun_error_response,
    server_error_response,
    validation_error_response,
)
from qunyun.dashboard.api import router as workspaces_router
from qunyun.errors import QunyunError
from qunyun.ingest.api import router as ingest_router
from qunyun.privacy.api import router as privacy_router
from qunyun.workspaces.api_auth import ApiTokenAuth, SessionCookieAuth

api = NinjaAPI(
    title="Qunyun API",
    version="1",
    description="Community operations: workspaces, members, KPIs.",
    auth=[ApiTokenAuth(), SessionCookieAuth()],
    throttle=[PerUserThrottle()],
    parser=ApiParser(),
    urls_namespace="api",
)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    return too_many_requests(error.wait)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return validation_error_response(error)


@api.exception_handler(QunyunError)
def refused(request: HttpRequest, error: QunyunError) -> HttpResponse:
    return qunyun_error_response(error)


@api.exception_handler(PermissionDenied)
def denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return error_response(403, _("Your role may not do this in this workspace."))


@api.exception_handler(Exception)
def crashed(request: HttpRequest, error: Exception) -> HttpResponse:
    return server_error_response(request, error)


api.add_router("/workspaces", workspaces_router)
api.add_router("/workspaces", ingest_router)
api.add_router("/workspaces", privacy_router)

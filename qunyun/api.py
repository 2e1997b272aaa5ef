"""The REST API (django-ninja): one router per app, joined here. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.security import django_auth

from qunyun.accounts.throttling import PerUserThrottle, too_many_requests
from qunyun.dashboard.api import router as workspaces_router
from qunyun.ingest.api import router as ingest_router
from qunyun.workspaces.api_auth import ApiTokenAuth

api = NinjaAPI(
    title="Qunyun API",
    version="1",
    description="Community operations: workspaces, members, KPIs.",
    auth=[ApiTokenAuth(), django_auth],
    throttle=[PerUserThrottle()],
    urls_namespace="api",
)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    return too_many_requests(error.wait)


api.add_router("/workspaces", workspaces_router)
api.add_router("/workspaces", ingest_router)

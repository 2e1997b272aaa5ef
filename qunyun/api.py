"""The REST API (django-ninja): one router per app, joined here. OpenAPI at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from qunyun.dashboard.api import router as workspaces_router
from qunyun.ingest.api import router as ingest_router
from qunyun.workspaces.api_auth import ApiTokenAuth

api = NinjaAPI(
    title="Qunyun API",
    version="1",
    description="Community operations: workspaces, members, KPIs.",
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/workspaces", workspaces_router)
api.add_router("/workspaces", ingest_router)

"""``/healthz`` for a load balancer, and the installation's status page for superusers."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from qunyun.dashboard.health import installation_status


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """No login, no personal data: whether the web can serve (the database answers) and
    whether background work is being done. 200 while the database answers, else 503."""
    status = installation_status()
    body = {
        "status": "ok" if status.healthy else ("degraded" if status.database == "ok" else "down"),
        "database": status.database == "ok",
        "worker": bool(status.workers),
        "scheduler": bool(status.schedulers),
        "version": status.version,
    }
    return JsonResponse(body, status=200 if status.database == "ok" else 503)


@staff_member_required
def installation(request: HttpRequest) -> HttpResponse:
    """What ``qunyun status`` shows, on a page (superusers only, like the back office)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    return render(request, "dashboard/status.html", {"status": installation_status()})

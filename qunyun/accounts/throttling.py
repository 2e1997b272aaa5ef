"""Rate limits on the REST API: per user (token or session) and per client IP.

django-ninja's throttles answer 429 with ``Retry-After``; the rates come from settings
(``QUNYUN_API_RATE_PER_USER`` / ``QUNYUN_API_RATE_PER_IP``) and are read on every request,
so a changed setting applies at once.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class PerUserThrottle(_SettingsRateThrottle):
    scope = "api-user"
    setting = "API_RATE_PER_USER"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # the per-IP limit covers anonymous callers
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class PerIpThrottle(_SettingsRateThrottle):
    scope = "api-ip"
    setting = "API_RATE_PER_IP"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ApiIpRateLimitMiddleware:
    """The per-IP limit runs before authentication, so guessing tokens is limited too."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if request.path.startswith("/api/"):
            throttle = PerIpThrottle()
            if not throttle.allow_request(request):
                return too_many_requests(throttle.wait())
        return self.get_response(request)


def too_many_requests(wait: float | None) -> JsonResponse:
    seconds = max(1, math.ceil(wait or 1))
    response = JsonResponse(
        {
            "detail": _("Too many requests. Try again in %(seconds)d seconds.")
            % {"seconds": seconds}
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response

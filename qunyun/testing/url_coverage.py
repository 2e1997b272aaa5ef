"""The URL coverage gate: every URL pattern and API operation must have had at least one
successful call (status < 400) somewhere in the test suite (docs/security.md).

A middleware, added to the settings for the test run only, records each successful
request's route (and method, for API operations); at the end of a full run the gate
compares them with every URL pattern and every operation in the OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

#: Routes that need no call, and why.
EXEMPT = {
    "api/v1/": "django-ninja's namespace root, not an endpoint",
}

_seen_pages: set[str] = set()
_seen_operations: set[tuple[str, str]] = set()


def _openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


class UrlCoverageRecorder:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None and response.status_code < 400:
            if match.route.startswith("api/"):
                _seen_operations.add((request.method or "GET", _openapi_path(match.route)))
            _seen_pages.add(match.route)
        return response


def all_routes() -> Iterator[str]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                if ns.startswith("admin:"):
                    continue  # Django's own back office
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    yield from walk(get_resolver().url_patterns, "", "")


def missing() -> list[str]:
    """Routes and API operations that no test called successfully."""
    from qunyun.api import api

    gaps = [
        f"page {route}"
        for route in sorted(set(all_routes()))
        if route not in _seen_pages and route not in EXEMPT and not route.startswith("api/v1/")
    ]
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            if (method.upper(), path) not in _seen_operations:
                gaps.append(f"API {method.upper()} {path}")
    for route in ("api/v1/openapi.json", "api/v1/docs"):
        if route not in _seen_pages:
            gaps.append(f"page {route}")
    return gaps

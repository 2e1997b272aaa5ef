"""How the REST API reads a request body and answers what it cannot take — always JSON.

- **Size.** The API reads at most ``API_MAX_BODY_BYTES`` (``QUNYUN_API_MAX_BODY_MB``,
  16 MiB by default, docs/api.md) instead of Django's 2.5 MB form limit, which would
  answer a documented 10,000-item batch with an HTML "400 Bad Request". A larger body
  is answered 413 before it is read.
- **JSON.** The body is parsed once, strictly (UTF-8, no lone UTF-16 surrogates, which
  no database can store), and a fault is answered 400 naming the line and column — or,
  for a lone surrogate, the item and field (``activities[0].text``).
- **Every other error** — a schema mismatch (422, each field named), an unknown path
  (404) or a crash (500) — answers ``{"detail": …}`` too, never an HTML page.
- **Qunyun's own errors** (:class:`qunyun.errors.QunyunError`) answer their own status
  with ``{"detail": …, "code": …}`` through :func:`qunyun_error_response`, the one place
  that maps them, from the API's exception handler and from the body middleware.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja.errors import ValidationError
from ninja.parser import Parser

from qunyun.errors import QunyunError

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def error_response(status: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def qunyun_error_response(error: QunyunError) -> JsonResponse:
    """``error``'s own status and payload, rendered now (in the request's language)."""
    return JsonResponse(error.to_json(), status=error.http_status)


def json_path(parts: tuple[Any, ...] | list[Any]) -> str:
    """``("activities", 0, "text")`` → ``activities[0].text``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _lone_surrogate_path(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where in a parsed document the first string with a lone surrogate is."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate_path(key, (*path, key)) or _lone_surrogate_path(
                item, (*path, key)
            )
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate_path(item, (*path, index))
            if found is not None:
                return found
    return None


class BodyError(QunyunError):
    """The request body cannot be read as JSON; the message says where it is broken."""

    code = "bad_body"
    http_status = 400


class BodyTooLarge(BodyError):
    """The request body is over the API's limit (``QUNYUN_API_MAX_BODY_MB``)."""

    code = "body_too_large"
    http_status = 413


def parse_json_body(body: bytes) -> Any:
    """The document in ``body``; :class:`BodyError` (400) saying where it is broken."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        fault = error
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BodyError(
            _("The body is not valid JSON (line %(line)d, column %(column)d): %(reason)s")
            % {"line": fault.lineno, "column": fault.colno, "reason": fault.msg},
        ) from None
    found = _lone_surrogate_path(document)
    where = json_path(found) if found else _("the body")
    raise BodyError(
        _(
            "%(where)s: the text holds a lone UTF-16 surrogate (an escape such as \\ud800 "
            "without its pair), which is not a character; send valid Unicode."
        )
        % {"where": where},
    )


class ApiRequestBodyMiddleware:
    """Reads an API request's body within the API's own limit and parses its JSON once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and request.method in _BODY_METHODS:
            try:
                self.read_body(request)
            except BodyError as error:
                return qunyun_error_response(error)
        return self.get_response(request)

    @staticmethod
    def read_body(request: HttpRequest) -> None:
        limit = settings.API_MAX_BODY_BYTES
        too_large = BodyTooLarge(
            _("The body is larger than %(mb)d MiB, the API's limit (QUNYUN_API_MAX_BODY_MB).")
            % {"mb": limit // (1024 * 1024)},
        )
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise too_large
        body = request.read(limit + 1)
        if len(body) > limit:
            raise too_large
        # What HttpRequest.body keeps once read: ninja and Django read it from here
        # without applying the form limit (DATA_UPLOAD_MAX_MEMORY_SIZE) again.
        request._body = body  # type: ignore[attr-defined]
        request._stream = BytesIO(body)  # type: ignore[attr-defined]
        if body and request.content_type == "application/json":
            request.api_json = parse_json_body(body)  # type: ignore[attr-defined]


class ApiParser(Parser):
    """ninja's body parser: the document the middleware already parsed."""

    def parse_body(self, request: HttpRequest) -> Any:
        if hasattr(request, "api_json"):
            return request.api_json
        try:
            return parse_json_body(request.body)
        except BodyError as error:
            raise ValueError(error.message) from None


#: What a date or time parameter takes (translated where it is said).
DATE_OR_TIME = gettext_noop(
    "must be a date (2026-03-01) or a date and time in ISO 8601 (2026-03-01T08:00:00+08:00)"
)


#: Translated words for the schema faults the API's inputs can have (pydantic's types).
def _schema_problem(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    problems: dict[str, Callable[[], str]] = {
        "missing": lambda: _("this field is required"),
        "extra_forbidden": lambda: _("unknown field (see the API's schema for the fields)"),
        "string_type": lambda: _("must be text"),
        "string_too_short": lambda: _("must not be empty"),
        "string_too_long": lambda: (
            _("is too long (at most %(n)s characters)") % {"n": context.get("max_length", "?")}
        ),
        "string_pattern_mismatch": lambda: _("must not be blank"),
        "too_long": lambda: (
            _("holds too many items (at most %(n)s)") % {"n": context.get("max_length", "?")}
        ),
        "literal_error": lambda: (
            _("must be one of: %(allowed)s") % {"allowed": context.get("expected", "")}
        ),
        "int_parsing": lambda: _("must be a whole number"),
        "int_type": lambda: _("must be a whole number"),
        "bool_type": lambda: _("must be true or false"),
        "bool_parsing": lambda: _("must be true or false"),
        "dict_type": lambda: _("must be a JSON object"),
        "model_attributes_type": lambda: _("must be a JSON object"),
        "list_type": lambda: _("must be a list"),
        "float_parsing": lambda: _("must be a number"),
        "float_type": lambda: _("must be a number"),
        "finite_number": lambda: _("must be a finite number"),
        "greater_than_equal": lambda: _("must be at least %(n)s") % {"n": _bound(context, "ge")},
        "less_than_equal": lambda: _("must be at most %(n)s") % {"n": _bound(context, "le")},
        "datetime_parsing": lambda: _(DATE_OR_TIME),
        "datetime_from_date_parsing": lambda: _(DATE_OR_TIME),
        "datetime_type": lambda: _(DATE_OR_TIME),
        "enum": lambda: (
            _("“%(value)s” is not one of: %(allowed)s")
            % {
                "value": str(context.get("given", error.get("input", "")))[:40],
                "allowed": context.get("expected", ""),
            }
        ),
    }
    problem = problems.get(kind)
    return problem() if problem is not None else str(error.get("msg", kind))


def _bound(context: dict[str, Any], key: str) -> str:
    """A limit as people write it: 1, not 1.0."""
    value = context.get(key, "?")
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _field_location(loc: list[Any] | tuple[Any, ...]) -> list[Any]:
    """pydantic's location without ninja's own leading parts (``body``, the parameter)."""
    parts = list(loc)
    if parts[:1] == ["body"] and len(parts) > 2:
        return parts[2:]  # after the name of the body parameter
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        return parts[1:]
    return parts


def schema_faults(errors: Iterable[Any]) -> list[dict[str, str]]:
    """pydantic's errors as ``{loc, message, type}``, each message translated."""
    return [
        {
            "loc": json_path(_field_location(item.get("loc", ()))),
            "message": _schema_problem(item),
            "type": item.get("type", ""),
        }
        for item in errors
    ]


def faults_text(faults: list[dict[str, str]]) -> str:
    """``activities[0].evil: unknown field; …`` — each fault after the place it is in."""
    text = "; ".join(f"{f['loc']}: {f['message']}" if f["loc"] else f["message"] for f in faults)
    return text or _("The request is invalid.")


def validation_error_response(error: ValidationError) -> JsonResponse:
    """422 with each fault named: ``{"detail": "activities[0].evil: unknown field; …"}``."""
    faults = schema_faults(error.errors)
    return error_response(422, faults_text(faults), errors=faults)


def server_error_response(request: HttpRequest, error: Exception) -> JsonResponse:
    log.exception("API error on %s %s", request.method, request.path, exc_info=error)
    return error_response(500, _("Something went wrong on the server; it has been logged."))


def not_found_response() -> JsonResponse:
    return error_response(404, _("There is no such API address."))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 view: JSON under /api/, the site's page elsewhere."""
    from django.views import defaults

    if request.path.startswith(API_PREFIX):
        return not_found_response()
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 view: JSON under /api/, the site's page elsewhere."""
    from django.views import defaults

    if request.path.startswith(API_PREFIX):
        return error_response(500, _("Something went wrong on the server; it has been logged."))
    return defaults.server_error(request)

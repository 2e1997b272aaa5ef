"""Template tags for lists: sortable column headers and query strings."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from qunyun.activity.models import PLATFORM_LABELS

register = template.Library()

EVIDENCE_LABELS = {
    "name": _("Similar names"),
    "nickname": _("Nickname of the same given name"),
    "avatar": _("Same avatar"),
    "co_activity": _("Active on the same days"),
    "email": _("Same verified email"),
    "phone": _("Same verified phone"),
    "unmerged": _("Unmerged before"),
}


@register.filter
def evidence_label(kind: str) -> str:
    """What a kind of merge evidence means, in the operator's language."""
    return str(EVIDENCE_LABELS.get(kind, kind))


@register.filter
def platform_label(code: str) -> str:
    """The platform's name as operators know it (微信 for "wechat")."""
    return str(PLATFORM_LABELS.get(code, code))


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with ``changes`` applied (URL-encoded)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context: dict[str, Any], key: str, label: str) -> str:
    """A column header that sorts by ``key``, toggling the direction."""
    request = context["request"]
    current = request.GET.get("sort", "-last_seen")
    target = f"-{key}" if current == key else key
    arrow = " ▲" if current == key else (" ▼" if current == f"-{key}" else "")
    query = request.GET.copy()
    query["sort"] = target
    query.pop("page", None)
    href = f"?{query.urlencode()}"
    return format_html(
        '<a href="{}" hx-get="{}" hx-target="#member-table" hx-push-url="true">{}{}</a>',
        href,
        href,
        label,
        arrow,
    )


@register.filter
def pair(first: Any, second: Any) -> list[Any]:
    """``a|pair:b`` → [a, b], to loop over two things with one template block."""
    return [first, second]


@register.filter
def json_inline(value: Any) -> str:
    """A JSON value on one line, non-ASCII kept readable (autoescaped by the template)."""
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

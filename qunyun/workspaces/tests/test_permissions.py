"""Every URL and API operation, for every role, against the table in docs/security.md;
and workspace isolation: nothing of workspace B is reachable as a user of workspace A."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from qunyun.api import api
from qunyun.conftest import message, utc
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.actions import do_tag_members
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.privacy.models import Law, PrivacyRequest, RequestKind
from qunyun.privacy.requests import do_log_privacy_request
from qunyun.team.actions import do_add_workspace_member, do_create_api_token
from qunyun.workspaces.models import Role, Workspace
from qunyun.workspaces.permissions import ROLE_CAPABILITIES, Capability

ROLES = [Role.OWNER, Role.ADMIN, Role.OPERATOR, Role.ANALYST, Role.MODERATOR]
SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"

#: URL names that are not pages of one workspace, and why.
PUBLIC = {
    "home": "redirects to the user's own workspace",
    "login": "the login form",
    "admin_login": "the back office's login form (the same lock as the login form)",
    "logout": "logging out",
    "set_language": "the language switcher",
    "healthz": "for a load balancer: no login, no personal data",
    "installation_status": "the installation's status: superusers only (test_status.py)",
    "team_invitation": "an invitation link: its secret is the key (test_team_page.py)",
}


def documented_matrix() -> dict[str, set[str]]:
    """capability → roles, read from the table in docs/security.md."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    header = re.search(r"^\| capability \|(.+)\|$", text, re.M)
    assert header, "docs/security.md has no role table"
    roles = [r.strip() for r in header.group(1).split("|")]
    matrix: dict[str, set[str]] = {}
    for line in text[header.end() :].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        matrix[cells[0]] = {
            role for role, cell in zip(roles, cells[1:], strict=True) if cell == "✓"
        }
    return matrix


def test_the_code_grants_exactly_what_the_documented_table_says() -> None:
    code = {
        cap.value: {r for r, caps in ROLE_CAPABILITIES.items() if cap in caps} for cap in Capability
    }
    assert documented_matrix() == code


# -- the world: two workspaces with the same kinds of objects ---------------------------


@dataclass
class Community:
    workspace: Workspace
    member: Member
    identity: Identity
    suggestion: MergeSuggestion
    run: ImportRun
    export_request: PrivacyRequest
    erase_request: PrivacyRequest


def build(workspace: Workspace, prefix: str) -> Community:
    do_import_records(
        workspace,
        iter(
            [
                message(f"{prefix}1", utc(2026, 3, 1, 8), f"{prefix}-u1", name=f"{prefix} 张伟"),
                message(f"{prefix}2", utc(2026, 3, 1, 9), f"{prefix}-u2", name=f"{prefix} zhangwei",
                        source="discord"),
                message(f"{prefix}3", utc(2026, 3, 2, 9), f"{prefix}-u3", name=f"{prefix} Carol"),
            ]
        ),
        file_name=f"{prefix}.jsonl",
        format_name="jsonl",
    )  # fmt: skip
    members = list(Member.objects.filter(workspace=workspace).order_by("id"))
    do_tag_members(workspace, f"{prefix}-tag", [members[0].pk])
    suggestion = MergeSuggestion.objects.create(
        workspace=workspace, member_a=members[0], member_b=members[1], score=0.8, evidence=[]
    )
    requests = [
        do_log_privacy_request(
            workspace, members[1], kind=kind, law=Law.GDPR, received_on=utc(2026, 3, 3).date(),
            acting_user=None,
        )
        for kind in (RequestKind.EXPORT, RequestKind.ERASE)
    ]  # fmt: skip
    return Community(
        workspace=workspace,
        member=members[0],
        identity=members[0].identities.get(),
        suggestion=suggestion,
        run=ImportRun.objects.filter(workspace=workspace).get(),
        export_request=requests[0],
        erase_request=requests[1],
    )


@pytest.fixture
def world(workspace: Workspace, other_workspace: Workspace) -> tuple[Community, Community]:
    return build(workspace, "A"), build(other_workspace, "B")


@dataclass(frozen=True)
class Call:
    method: str
    kwargs: Callable[[Community], dict[str, Any]]
    data: Callable[[Community], dict[str, Any]] = lambda c: {}
    query: Callable[[Community], dict[str, Any]] = lambda c: {}


#: How to call each workspace URL: every pattern must be here (a new page fails the walk
#: below until it is added).
CALLS: dict[str, list[Call]] = {
    "overview": [Call("GET", lambda c: {})],
    "members": [Call("GET", lambda c: {})],
    "member_profile": [Call("GET", lambda c: {"member_id": c.member.pk})],
    "churn": [Call("GET", lambda c: {}), Call("POST", lambda c: {})],
    "export_table": [Call("GET", lambda c: {"table": "members", "fmt": "csv"})],
    "merge_suggestions": [Call("GET", lambda c: {})],
    "find_duplicates": [Call("POST", lambda c: {})],
    "decide_suggestions": [
        Call("POST", lambda c: {}, lambda c: {"decision": "reject", "suggestion": c.suggestion.pk})
    ],
    "decide_suggestion": [
        Call("POST", lambda c: {"suggestion_id": c.suggestion.pk}, lambda c: {"decision": "reject"})
    ],
    "unmerge_identity": [Call("POST", lambda c: {"identity_id": c.identity.pk})],
    "imports": [Call("GET", lambda c: {}), Call("POST", lambda c: {}, lambda c: {"format": "csv"})],
    "import_run": [Call("GET", lambda c: {"run_id": c.run.pk})],
    "rerun_import": [Call("POST", lambda c: {"run_id": c.run.pk})],
    "audit_log": [Call("GET", lambda c: {})],
    "schedules": [Call("GET", lambda c: {})],
    "team": [
        Call("GET", lambda c: {}),
        Call("POST", lambda c: {}, lambda c: {"action": "invite", "role": "analyst"}),
    ],
    "privacy_requests": [
        Call("GET", lambda c: {}),
        Call("POST", lambda c: {}, lambda c: {"action": "retention", "retention_days": "400"}),
    ],
    "privacy_request_export": [
        Call("POST", lambda c: {"request_id": c.export_request.pk}, lambda c: {"format": "json"})
    ],
    "privacy_request_erase": [
        Call("GET", lambda c: {"request_id": c.erase_request.pk}),
        Call("POST", lambda c: {"request_id": c.erase_request.pk}, lambda c: {"confirm": "on"}),
    ],
}


def url_patterns() -> Iterator[tuple[str, str, Any]]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, Any]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                if ns.startswith("admin:"):
                    continue  # Django's back office: staff only, its own permissions
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), namespace + (p.name or ""), p.callback

    yield from walk(get_resolver().url_patterns, "", "")


def test_every_page_reaches_its_workspace_through_the_one_decorator() -> None:
    for route, name, view in url_patterns():
        if name.startswith("api:"):
            continue  # API operations: checked from the OpenAPI document below
        if name in PUBLIC:
            assert "<slug" not in route
            continue
        assert hasattr(view, "workspace_capabilities"), f"{name} ({route}) bypasses workspace_page"
        assert route.startswith("w/<slug:slug>/"), route
        assert name in CALLS, f"{name} is missing from CALLS: say how to call it"


def test_every_api_operation_names_its_capability() -> None:
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            capability = operation.get("x-capability")
            assert capability is not None, f"{method.upper()} {path} names no x-capability"
            assert capability == "none" or capability in {c.value for c in Capability}
            assert ("{slug}" in path) == (capability != "none"), path


def user_with(role: str, workspace: Workspace, django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user(f"{role}-user", password="a-long-password-1")
    do_add_workspace_member(workspace, user, role)
    return user


@contextmanager
def undone() -> Iterator[None]:
    """Run one call, then roll its writes back, so every call sees the same world."""
    point = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(point)


@pytest.mark.parametrize("role", ROLES)
def test_each_page_allows_or_denies_each_role_as_documented(
    client: Any, django_user_model: Any, world: tuple[Community, Community], role: str
) -> None:
    a, _b = world
    client.force_login(user_with(role, a.workspace, django_user_model))
    matrix = documented_matrix()
    outcomes = {}
    for name, calls in CALLS.items():
        for call in calls:
            url = reverse(name, kwargs={"slug": a.workspace.slug, **call.kwargs(a)})
            view = get_resolver().resolve(url).func
            capability = view.workspace_capabilities[call.method]  # type: ignore[attr-defined]
            with undone():
                if call.method == "GET":
                    response = client.get(url, call.query(a))
                else:
                    response = client.post(url, call.data(a))
            allowed = role in matrix[capability]
            expected = {200, 302} if allowed else {403}
            outcomes[f"{call.method} {name}"] = (
                response.status_code in expected,
                response.status_code,
            )
    assert {k: v for k, v in outcomes.items() if not v[0]} == {}


API_CALLS: dict[str, Callable[[Community], tuple[str, str, dict[str, Any] | None]]] = {
    "kpis": lambda c: ("GET", f"/api/v1/workspaces/{c.workspace.slug}/kpis", None),
    "channels": lambda c: ("GET", f"/api/v1/workspaces/{c.workspace.slug}/channels", None),
    "members": lambda c: ("GET", f"/api/v1/workspaces/{c.workspace.slug}/members", None),
    "member": lambda c: (
        "GET",
        f"/api/v1/workspaces/{c.workspace.slug}/members/{c.member.pk}",
        None,
    ),  # fmt: skip
    "push_activities": lambda c: (
        "POST",
        f"/api/v1/workspaces/{c.workspace.slug}/activities",
        {
            "activities": [
                {
                    "external_id": "p1",
                    "kind": "message",
                    "member_id": "x",
                    "occurred_at": "2026-03-05T08:00:00Z",
                }
            ]
        },
    ),  # fmt: skip
    "export_member_data": lambda c: (
        "GET",
        f"/api/v1/workspaces/{c.workspace.slug}/members/{c.member.pk}/data",
        None,
    ),  # fmt: skip
    "erase_member_data": lambda c: (
        "POST",
        f"/api/v1/workspaces/{c.workspace.slug}/members/{c.member.pk}/erasure",
        None,
    ),  # fmt: skip
}


def api_operations() -> Iterator[tuple[str, str, str]]:
    """(operation id, method, capability) of every workspace operation of the API."""
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if "{slug}" in path:
                yield operation["operationId"], method.upper(), operation["x-capability"]


def path_name(operation_id: str) -> str:
    for name in API_CALLS:
        if operation_id.endswith(f"_{name}"):
            return name
    return operation_id


def test_every_api_operation_is_in_the_matrix() -> None:
    named = {path_name(op_id) for op_id, _m, _c in api_operations()}
    assert named == set(API_CALLS), named ^ set(API_CALLS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("via", ["token", "session"])
def test_each_api_operation_allows_or_denies_each_role_as_documented(
    client: Any, django_user_model: Any, world: tuple[Community, Community], role: str, via: str
) -> None:
    a, _b = world
    user = user_with(role, a.workspace, django_user_model)
    headers: dict[str, str] = {}
    if via == "token":
        _token, secret = do_create_api_token(a.workspace, user, name="t")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    else:
        client.force_login(user)
    matrix = documented_matrix()
    outcomes = {}
    for operation_id, _method, capability in api_operations():
        name = path_name(operation_id)
        method, url, body = API_CALLS[name](a)
        with undone():
            if method == "GET":
                response = client.get(url, **headers)
            else:
                response = client.post(url, body, content_type="application/json", **headers)
        expected = 200 if role in matrix[capability] else 403
        outcomes[name] = (response.status_code == expected, response.status_code)
    assert {k: v for k, v in outcomes.items() if not v[0]} == {}


# -- isolation -------------------------------------------------------------------------


def test_objects_of_another_workspace_are_404_in_the_path(
    client: Any, alice: Any, world: tuple[Community, Community]
) -> None:
    a, b = world
    client.force_login(alice)  # owner of A
    for name, calls in CALLS.items():
        for call in calls:
            for slug, objects in ((b.workspace.slug, b), (a.workspace.slug, b)):
                kwargs = call.kwargs(objects)
                if slug == a.workspace.slug and not any(k.endswith("_id") for k in kwargs):
                    continue  # no object id in the path: A's own page
                url = reverse(name, kwargs={"slug": slug, **kwargs})
                if call.method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, call.data(objects))
                assert response.status_code == 404, (url, response.status_code)
    assert Member.objects.filter(workspace=b.workspace).count() == 3
    assert MergeSuggestion.objects.get(pk=b.suggestion.pk).status == "open"


def test_ids_of_another_workspace_in_the_body_or_query_change_and_show_nothing(
    client: Any, alice: Any, world: tuple[Community, Community]
) -> None:
    a, b = world
    client.force_login(alice)
    response = client.post(
        reverse("decide_suggestions", args=[a.workspace.slug]),
        {"decision": "accept", "suggestion": [b.suggestion.pk]},
    )
    assert response.status_code == 302
    assert MergeSuggestion.objects.get(pk=b.suggestion.pk).status == "open"
    assert Member.objects.filter(workspace=b.workspace).count() == 3

    members_page = client.get(reverse("members", args=[a.workspace.slug]), {"tag": "B-tag"})
    assert b"B " not in members_page.content.replace(b"B-tag", b"")
    listing = client.get(reverse("members", args=[a.workspace.slug]), {"q": "B"})
    assert "B 张伟".encode() not in listing.content
    export = client.get(
        reverse("export_table", args=[a.workspace.slug, "members", "csv"]), {"q": "B"}
    )
    assert "B 张伟" not in b"".join(export.streaming_content).decode("utf-8-sig")


def test_the_api_gives_404_and_zero_rows_of_another_workspace(
    client: Any, alice: Any, world: tuple[Community, Community]
) -> None:
    a, b = world
    _token, secret = do_create_api_token(a.workspace, alice, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(f"/api/v1/workspaces/{b.workspace.slug}/kpis", **auth).status_code == 404
    assert (
        client.get(
            f"/api/v1/workspaces/{a.workspace.slug}/members/{b.member.pk}", **auth
        ).status_code
        == 404
    )
    listed = client.get(f"/api/v1/workspaces/{a.workspace.slug}/members", {"q": "B"}, **auth)
    assert listed.status_code == 200
    assert all(not m["display_name"].startswith("B ") for m in listed.json()["items"])
    workspaces = client.get("/api/v1/workspaces", **auth).json()
    assert [w["slug"] for w in workspaces] == [a.workspace.slug]
    pushed = client.post(
        f"/api/v1/workspaces/{b.workspace.slug}/activities",
        {"activities": []},
        content_type="application/json",
        **auth,
    )
    assert pushed.status_code == 404

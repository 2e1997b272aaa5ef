"""POST /api/v1/workspaces/{slug}/activities with a personal token."""

from __future__ import annotations

import pytest

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.team.actions import do_create_api_token, do_revoke_api_token
from qunyun.workspaces.models import Role, WorkspaceMembership

URL = "/api/v1/workspaces/acme/activities"


def batch(*ids: str, **changes):
    items = []
    for i in ids:
        item = {
            "external_id": i,
            "kind": "message",
            "occurred_at": "2026-03-01T10:00:00+08:00",
            "member_id": "u1",
            "member_name": "张伟",
            "source": "crm",
            "channel": "vip",
            "text": f"消息 {i}",
        }
        item.update(changes)
        items.append(item)
    return {"activities": items}


@pytest.fixture
def token(workspace, alice):
    _row, secret = do_create_api_token(workspace, alice, name="CRM sync")
    return secret


def post(client, secret, body, url=URL):
    return client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def test_a_batch_is_written_and_resending_it_adds_nothing(client, token, workspace) -> None:
    first = post(client, token, batch("1", "2", "3"))
    again = post(client, token, batch("1", "2", "3"))

    assert first.status_code == 200
    assert first.json()["activities_added"] == 3
    assert again.json() | {"id": 0} == {
        "id": 0,
        "status": "succeeded",
        "records_read": 3,
        "activities_added": 0,
        "activities_skipped": 3,
        "members_added": 0,
        "channels_added": 0,
    }
    assert Activity.objects.filter(workspace=workspace, source="crm").count() == 3


def test_an_invalid_item_rejects_the_batch_naming_item_and_field(client, token) -> None:
    body = batch("1", "2")
    body["activities"][1]["occurred_at"] = "yesterday"

    response = post(client, token, body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("activities[1].occurred_at:")
    assert Activity.objects.count() == 0


def test_no_token_a_wrong_token_or_a_revoked_token_is_refused(client, workspace, alice) -> None:
    row, secret = do_create_api_token(workspace, alice, name="old")
    do_revoke_api_token(row, acting_user=alice)

    assert client.post(URL, batch("1"), content_type="application/json").status_code == 401
    assert post(client, "qy_not-a-real-token", batch("1")).status_code == 401
    assert post(client, secret, batch("1")).status_code == 401
    assert AuditEvent.objects.filter(action="api_token_revoked").count() == 1


def test_a_token_reaches_only_its_own_workspace(client, token, other_workspace) -> None:
    response = post(client, token, batch("1"), url="/api/v1/workspaces/rival/activities")

    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_an_analyst_token_may_read_but_not_write(client, workspace, django_user_model):
    bob = django_user_model.objects.create_user("bob", password="bob-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=bob, role=Role.ANALYST)
    _row, secret = do_create_api_token(workspace, bob, name="reports")

    assert post(client, secret, batch("1")).status_code == 403
    kpis = client.get("/api/v1/workspaces/acme/kpis", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert kpis.status_code == 200


def test_tokens_are_stored_hashed(workspace, alice) -> None:
    row, secret = do_create_api_token(workspace, alice, name="x")

    assert secret not in row.token_hash
    assert len(row.token_hash) == 64
    assert row.prefix == secret[:10]


def test_the_push_endpoint_is_in_the_openapi_document(client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/workspaces/{slug}/activities"]["post"]
    assert operation["summary"] == "Push a batch of activities"
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"
    assert {"ApiTokenAuth": []} in operation["security"]

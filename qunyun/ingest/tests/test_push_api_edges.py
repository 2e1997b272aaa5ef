"""The push API at its edges: every error is JSON naming the item and the field, the body
limit is what docs/api.md says, and a POST without a valid token answers 401."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from qunyun.activity.models import Activity
from qunyun.team.actions import do_create_api_token
from qunyun.workspaces.models import Workspace

URL = "/api/v1/workspaces/acme/activities"


def item(external_id: str = "1", **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "message",
        "occurred_at": "2026-03-01T10:00:00+08:00",
        "member_id": "u1",
        "member_name": "张伟",
        "text": "你好",
        **changes,
    }


@pytest.fixture
def secret(workspace: Workspace, alice: Any) -> str:
    return do_create_api_token(workspace, alice, name="CRM sync")[1]


def post_raw(client: Any, body: bytes | str, secret: str = "", **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.generic("POST", URL, body, content_type="application/json", **headers, **extra)


def test_a_lone_surrogate_is_refused_naming_the_item_and_field(client: Any, secret: str) -> None:
    second = json.dumps(item("2")).replace('"\\u4f60\\u597d"', '"ok \\ud800"')
    body = '{"activities": [' + json.dumps(item("1")) + ", " + second + "]}"
    assert "\\ud800" in body

    response = post_raw(client, body, secret)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("activities[1].text: the text holds a lone")
    assert Activity.objects.count() == 0


def test_a_pair_of_surrogate_escapes_is_one_character_and_welcome(client: Any, secret: str) -> None:
    body = json.dumps({"activities": [item("1", text="👍")]}, ensure_ascii=True)
    assert "\\ud83d\\udc4d" in body

    response = post_raw(client, body, secret)

    assert response.status_code == 200
    assert Activity.objects.get().text == "👍"


def test_a_full_batch_of_200_character_texts_is_taken(client: Any, secret: str) -> None:
    batch = {"activities": [item(str(i), text="消" * 200) for i in range(10_000)]}
    body = json.dumps(batch, ensure_ascii=False).encode()
    assert len(body) > 2.5 * 1024 * 1024  # beyond Django's form limit

    response = post_raw(client, body, secret)

    assert response.status_code == 200, response.content[:300]
    assert response.json()["activities_added"] == 10_000


def test_a_body_over_the_limit_is_refused_with_413(client: Any, secret: str, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 1024 * 1024
    body = json.dumps({"activities": [item(str(i), text="x" * 500) for i in range(3000)]})

    response = post_raw(client, body, secret)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The body is larger than 1 MiB, the API's limit (QUNYUN_API_MAX_BODY_MB).",
        "code": "body_too_large",
    }
    assert Activity.objects.count() == 0


def test_an_unknown_field_is_refused_like_the_same_jsonl_line(client: Any, secret: str) -> None:
    response = post_raw(client, json.dumps({"activities": [item("1"), item("2", evil=1)]}), secret)

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "activities[1].evil: unknown field (see the API's schema for the fields)"
    )
    assert response.json()["errors"][0]["loc"] == "activities[1].evil"
    assert Activity.objects.count() == 0


def test_an_unknown_field_beside_the_batch_is_refused_too(client: Any, secret: str) -> None:
    response = post_raw(client, json.dumps({"activities": [item("1")], "evil": 1}), secret)

    assert response.status_code == 422
    assert response.json()["detail"].startswith("evil: unknown field")


def test_schema_faults_are_named_and_translated(client: Any, secret: str) -> None:
    body = json.dumps({"activities": [item("", kind="shout")]})

    response = post_raw(client, body, secret, HTTP_ACCEPT_LANGUAGE="zh-hans")

    detail = response.json()["detail"]
    assert response.status_code == 422
    assert "activities[0].external_id" in detail and "activities[0].kind" in detail
    assert "不能为空" in detail


def test_broken_json_is_refused_with_its_line_and_column(client: Any, secret: str) -> None:
    response = post_raw(client, '{"activities": [\n  {"external_id": }\n]}', secret)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON (line 2, column")


@pytest.mark.parametrize("token", ["", "qy_not-a-real-token", "garbage"])
def test_a_post_without_a_valid_token_is_401_even_where_csrf_is_enforced(
    db: None, workspace: Workspace, token: str
) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = post_raw(browser, json.dumps({"activities": [item()]}), token)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_logged_in_browser_still_needs_its_csrf_token(
    db: None, workspace: Workspace, alice: Any
) -> None:
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(alice)

    response = post_raw(browser, json.dumps({"activities": [item()]}))

    assert response.status_code == 403
    assert Activity.objects.count() == 0


def test_an_unknown_api_address_answers_json(client: Any, secret: str) -> None:
    response = client.get("/api/v1/nothing-here", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such API address."}


def test_a_crash_in_an_operation_answers_json_500(
    client: Any, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("qunyun.ingest.api.do_import_records", broken)

    response = post_raw(client, json.dumps({"activities": [item()]}), secret)

    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on the server; it has been logged."}
    assert "disk on fire" not in response.content.decode()

"""Every Qunyun error reaches an API caller the same way: its HTTP status, its stable
``code`` and its message in the caller's language (docs/api.md, "Error codes").

Real requests through the real API and database: the push endpoint, with a token.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils.translation import gettext_lazy

from qunyun.activity.models import Activity
from qunyun.analytics.segments import RulesError
from qunyun.api_requests import BodyError, BodyTooLarge
from qunyun.backups.archive import BackupError
from qunyun.dashboard.filters import InvalidFilter
from qunyun.errors import QunyunError
from qunyun.ingest.errors import ImportFormatError, SyncError
from qunyun.ingest.platforms.discourse.client import DiscourseSyncError
from qunyun.members.merging import MergeError
from qunyun.outbound import OutboundRefused
from qunyun.team.actions import do_create_api_token
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.tokens import TokenRoleError

URL = "/api/v1/workspaces/acme/activities"


def item(external_id: str = "1", **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "kind": "message",
        "occurred_at": "2026-03-01T10:00:00+08:00",
        "member_id": "u1",
        "member_name": "张伟",
        **changes,
    }


@pytest.fixture
def secret(workspace: Workspace, alice: Any) -> str:
    return do_create_api_token(workspace, alice, name="CRM sync")[1]


def push(client: Any, secret: str, body: str, **extra: Any) -> Any:
    return client.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        **extra,
    )


def test_an_item_the_importer_refuses_answers_import_format(client: Any, secret: str) -> None:
    body = json.dumps({"activities": [item("1"), item("2", occurred_at="yesterday")]})

    response = push(client, secret, body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "activities[1].occurred_at: “occurred_at” is neither ISO 8601 nor epoch "
        "seconds: 'yesterday'",
        "code": "import_format",
    }
    assert Activity.objects.count() == 0


def test_the_refusal_speaks_the_callers_language(client: Any, secret: str) -> None:
    body = json.dumps({"activities": [item("1", occurred_at="yesterday")]})

    response = push(client, secret, body, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert response.json()["code"] == "import_format"
    assert response.json()["detail"] == (
        "activities[0].occurred_at：“occurred_at”既不是 ISO 8601 时间，也不是 Unix 时间戳（秒）："
        "'yesterday'"
    )


def test_a_body_that_is_not_json_answers_bad_body(client: Any, secret: str) -> None:
    response = push(client, secret, '{"activities": [\n  {"external_id": }\n]}')

    assert response.status_code == 400
    assert response.json()["code"] == "bad_body"
    assert response.json()["detail"].startswith("The body is not valid JSON (line 2, column")


#: One of each kind, as the code that raises it would; the endpoint's action raises it.
RAISED = [
    (DiscourseSyncError("/posts.json answered 503.", status=503), 502, "sync_failed"),
    (OutboundRefused("“http://10.0.0.1/” is an internal address."), 400, "outbound_refused"),
    (TokenRoleError("ana is Analyst in this workspace."), 403, "token_role"),
    (InvalidFilter("Unknown period “fortnight”."), 400, "invalid_filter"),
    (MergeError("A member cannot be merged with themself."), 409, "merge_refused"),
    (RulesError("Unknown rule “x”."), 400, "invalid_rules"),
    (BackupError("No such backup file: x.zip"), 400, "backup_unusable"),
    (ImportFormatError("Too long.", record=3, field="text"), 400, "import_format"),
]


@pytest.mark.parametrize(
    ("error", "status", "code"), RAISED, ids=[type(e).__name__ for e, _s, _c in RAISED]
)
def test_any_qunyun_error_answers_its_status_code_and_message(
    client: Any,
    secret: str,
    monkeypatch: pytest.MonkeyPatch,
    error: QunyunError,
    status: int,
    code: str,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr("qunyun.ingest.api.do_import_records", refuse)

    response = push(client, secret, json.dumps({"activities": [item()]}))

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": str(error), "code": code}


def test_a_lazy_message_is_rendered_in_the_requests_language(
    client: Any, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = OutboundRefused(gettext_lazy("Your role may not do this in this workspace."))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr("qunyun.ingest.api.do_import_records", refuse)

    english = push(client, secret, json.dumps({"activities": [item()]}))
    chinese = push(
        client, secret, json.dumps({"activities": [item()]}), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert english.json()["detail"] == "Your role may not do this in this workspace."
    assert chinese.json()["detail"] == "你的角色无权在此工作区执行此操作。"


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (TokenRoleError, PermissionError),
        (InvalidFilter, ValueError),
        (MergeError, ValueError),
        (RulesError, ValueError),
        (DiscourseSyncError, SyncError),
        (BodyTooLarge, BodyError),
    ],
)
def test_each_error_keeps_the_parent_its_callers_catch(
    error: type[QunyunError], parent: type[Exception]
) -> None:
    assert issubclass(error, QunyunError)
    assert issubclass(error, parent)

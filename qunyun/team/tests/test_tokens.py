"""A token never outranks its user: not when it is made, and not later when the user's
role changes, the user leaves the workspace or is deactivated (docs/api.md, docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.team.actions import do_create_api_token
from qunyun.workspaces.models import ApiToken, Role, Workspace, WorkspaceMembership
from qunyun.workspaces.permissions import ROLE_CAPABILITIES, within
from qunyun.workspaces.tokens import TokenRoleError

PUSH = "/api/v1/workspaces/acme/activities"
MEMBERS = "/api/v1/workspaces/acme/members"
ONE_ACTIVITY = {
    "activities": [
        {
            "external_id": "m-1",
            "kind": "message",
            "occurred_at": "2026-03-01T10:00:00+08:00",
            "member_id": "u1",
            "member_name": "张伟",
        }
    ]
}


def teammate(django_user_model: Any, workspace: Workspace, name: str, role: str) -> Any:
    user = django_user_model.objects.create_user(name, password=f"{name}-password-1")
    WorkspaceMembership.objects.create(workspace=workspace, user=user, role=role)
    return user


def push(client: Any, secret: str) -> Any:
    return client.post(
        PUSH, ONE_ACTIVITY, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def read(client: Any, secret: str) -> Any:
    return client.get(MEMBERS, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_the_cli_refuses_a_token_above_the_users_role(
    workspace: Workspace, django_user_model: Any
) -> None:
    teammate(django_user_model, workspace, "ana", Role.ANALYST)

    with pytest.raises(CommandError) as caught:
        call_command(
            "token", "create", "--workspace", "acme", "--user", "ana", "--name", "x",
            "--role", "owner",
        )  # fmt: skip

    assert str(caught.value) == (
        "A token may not outrank its user: ana is Analyst in this workspace, "
        "so the token cannot be Owner."
    )
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("user_role", "token_role"),
    [
        (Role.ANALYST, Role.OWNER),
        (Role.ANALYST, Role.OPERATOR),
        (Role.OPERATOR, Role.ADMIN),
        (Role.MODERATOR, Role.ANALYST),
    ],
)
def test_the_action_refuses_every_role_the_user_does_not_cover(
    workspace: Workspace, django_user_model: Any, user_role: str, token_role: str
) -> None:
    user = teammate(django_user_model, workspace, "sam", user_role)

    with pytest.raises(TokenRoleError):
        do_create_api_token(workspace, user, name="x", role=token_role)

    assert not ApiToken.objects.exists()


def test_a_token_at_or_below_the_users_role_is_made(
    client: Any, workspace: Workspace, django_user_model: Any
) -> None:
    user = teammate(django_user_model, workspace, "olga", Role.OPERATOR)

    _row, read_only = do_create_api_token(workspace, user, name="ro", role=Role.ANALYST)
    _row, same = do_create_api_token(workspace, user, name="rw")

    assert read(client, read_only).status_code == 200
    assert push(client, read_only).status_code == 403
    assert push(client, same).status_code == 200


def test_within_follows_the_capability_table() -> None:
    for role, caps in ROLE_CAPABILITIES.items():
        for ceiling, ceiling_caps in ROLE_CAPABILITIES.items():
            assert within(role, ceiling) == (caps <= ceiling_caps)


def test_a_demoted_users_token_loses_what_the_new_role_lacks(
    client: Any, workspace: Workspace, django_user_model: Any
) -> None:
    user = teammate(django_user_model, workspace, "olga", Role.OPERATOR)
    _row, secret = do_create_api_token(workspace, user, name="crm")
    assert push(client, secret).status_code == 200

    WorkspaceMembership.objects.filter(user=user).update(role=Role.MODERATOR)

    refused = push(client, secret)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role may not do this in this workspace."}
    assert read(client, secret).status_code == 200  # a moderator still reads

    WorkspaceMembership.objects.filter(user=user).update(role=Role.OPERATOR)
    assert push(client, secret).status_code == 200  # promoted back: the token's own role again


def test_a_token_stops_when_its_user_leaves_the_workspace(
    client: Any, workspace: Workspace, django_user_model: Any
) -> None:
    user = teammate(django_user_model, workspace, "olga", Role.OPERATOR)
    _row, secret = do_create_api_token(workspace, user, name="crm")
    assert read(client, secret).status_code == 200

    WorkspaceMembership.objects.filter(user=user).delete()

    assert read(client, secret).status_code == 401
    assert push(client, secret).status_code == 401


def test_a_deactivated_users_tokens_stop(
    client: Any, workspace: Workspace, django_user_model: Any
) -> None:
    user = teammate(django_user_model, workspace, "olga", Role.OPERATOR)
    _row, secret = do_create_api_token(workspace, user, name="crm")

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert read(client, secret).status_code == 401

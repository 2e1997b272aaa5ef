"""The team page: Alice (owner of Acme) invites Bob by a one-time link, Bob makes his
account from it, Alice changes his role and removes him; a used, expired or withdrawn
link says so and opens nothing; the last owner always stays."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from qunyun.audit.models import AuditEvent
from qunyun.team.actions import do_create_api_token, do_invite_teammate
from qunyun.team.errors import TeamError
from qunyun.team.models import Invitation
from qunyun.workspaces.models import ApiToken, Role, Workspace, WorkspaceMembership

pytestmark = pytest.mark.django_db

TEAM = "/w/acme/team/"
BOB_PASSWORD = "bob-has-a-long-password-9"


def fresh_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def invite(client: Any, role: str, note: str = "") -> str:
    """Make an invitation on the team page; the invitation link's path as shown."""
    page = client.post(TEAM, {"action": "invite", "role": role, "note": note})
    assert page.status_code == 200
    found = re.search(
        r"<pre data-link>https?://[^/]+(/invite/[^/<]+/)</pre>", page.content.decode()
    )
    assert found, "the page shows the link once"
    return found.group(1)


def role_in(workspace: Workspace, username: str) -> str | None:
    return (
        WorkspaceMembership.objects.filter(workspace=workspace, user__username=username)
        .values_list("role", flat=True)
        .first()
    )


def test_invite_accept_change_role_and_remove(
    client: Any, alice: Any, workspace: Workspace
) -> None:
    client.force_login(alice)
    link = invite(client, Role.ANALYST, note="Bob from marketing")
    invitation = Invitation.objects.get()
    assert link.split("/")[2] not in invitation.token_hash  # only the hash is stored
    assert "Bob from marketing" in client.get(TEAM).content.decode()

    bob_client = fresh_client()
    opened = bob_client.get(link)
    assert opened.status_code == 200
    assert "Acme 用户社区" in opened.content.decode() and "Analyst" in opened.content.decode()
    joined = bob_client.post(
        link, {"username": "bob", "password1": BOB_PASSWORD, "password2": BOB_PASSWORD}
    )
    assert joined.status_code == 302 and joined["Location"] == "/w/acme/"
    assert bob_client.get("/w/acme/").status_code == 200  # logged in, on the team
    bob = User.objects.get(username="bob")
    assert role_in(workspace, "bob") == Role.ANALYST
    assert bob_client.get(TEAM).status_code == 403  # analysts do not manage the team

    team = client.get(TEAM).content.decode()
    assert 'data-teammate="bob" data-role="analyst"' in team
    assert 'data-invitation-state="used"' in team

    client.post(TEAM, {"action": "role", "user": bob.pk, "role": Role.ADMIN})
    assert role_in(workspace, "bob") == Role.ADMIN
    assert bob_client.get(TEAM).status_code == 200

    _token, secret = do_create_api_token(workspace, bob, name="bob's script")
    removed = client.post(TEAM, {"action": "remove", "user": bob.pk}, follow=True)
    assert "bob left the team." in removed.content.decode()
    assert role_in(workspace, "bob") is None
    assert bob_client.get("/w/acme/").status_code == 404
    assert ApiToken.objects.get(user=bob).revoked_at is not None
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert fresh_client().get("/api/v1/workspaces/acme/kpis", **auth).status_code == 401

    events = AuditEvent.objects.exclude(action__in=["user_logged_in", "api_token_created"])
    assert list(events.order_by("id").values_list("action", "actor__username")) == [
        ("teammate_invited", "alice"),
        ("invitation_accepted", "bob"),
        ("role_changed", "alice"),
        ("teammate_removed", "alice"),
    ]


def test_a_used_link_says_so_and_creates_nothing(client: Any, alice: Any) -> None:
    client.force_login(alice)
    link = invite(client, Role.OPERATOR)
    first = fresh_client().post(
        link, {"username": "bob", "password1": BOB_PASSWORD, "password2": BOB_PASSWORD}
    )
    assert first.status_code == 302

    again = fresh_client()
    page = again.get(link)
    assert page.status_code == 410
    assert "This invitation link has already been used." in page.content.decode()
    tried = again.post(
        link, {"username": "mallory", "password1": BOB_PASSWORD, "password2": BOB_PASSWORD}
    )
    assert tried.status_code == 410
    assert not User.objects.filter(username="mallory").exists()


def test_an_expired_link_says_when_it_expired(client: Any, alice: Any) -> None:
    client.force_login(alice)
    link = invite(client, Role.OPERATOR)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = fresh_client().get(link)
        assert page.status_code == 410
        assert "This invitation link expired on" in page.content.decode()
        tried = fresh_client().post(
            link, {"username": "bob", "password1": BOB_PASSWORD, "password2": BOB_PASSWORD}
        )
        assert tried.status_code == 410
    assert not User.objects.filter(username="bob").exists()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert 'data-invitation-state="expired"' in client.get(TEAM).content.decode()


def test_an_unknown_or_withdrawn_link_opens_nothing(client: Any, alice: Any) -> None:
    client.force_login(alice)
    assert fresh_client().get("/invite/qi_not-a-real-one/").status_code == 410
    link = invite(client, Role.OPERATOR)
    invitation = Invitation.objects.get()
    client.post(TEAM, {"action": "revoke", "invitation": invitation.pk})
    page = fresh_client().get(link)
    assert page.status_code == 410
    assert "This invitation was withdrawn." in page.content.decode()
    assert AuditEvent.objects.filter(action="invitation_revoked").count() == 1


def test_a_signed_in_user_joins_as_themselves(
    client: Any, alice: Any, charlie: Any, workspace: Workspace
) -> None:
    client.force_login(alice)
    link = invite(client, Role.MODERATOR)
    charlie_client = fresh_client()
    charlie_client.force_login(charlie)
    page = charlie_client.get(link).content.decode()
    assert "You are logged in as charlie." in page
    assert charlie_client.post(link).status_code == 302
    assert role_in(workspace, "charlie") == Role.MODERATOR


def test_a_teammate_cannot_spend_a_link_meant_for_someone_else(client: Any, alice: Any) -> None:
    client.force_login(alice)
    link = invite(client, Role.ADMIN)
    refused = client.post(link)
    assert refused.status_code == 200
    assert "You are already on this team, as Owner" in refused.content.decode()
    assert Invitation.objects.get().used_at is None  # still open for the invitee


def test_a_weak_password_or_taken_username_is_named(client: Any, alice: Any) -> None:
    client.force_login(alice)
    link = invite(client, Role.OPERATOR)
    weak = fresh_client().post(
        link, {"username": "bob", "password1": "short", "password2": "short"}
    )
    assert weak.status_code == 200
    assert "This password is too short" in weak.content.decode()
    taken = fresh_client().post(
        link, {"username": "alice", "password1": BOB_PASSWORD, "password2": BOB_PASSWORD}
    )
    assert "A user with that username already exists." in taken.content.decode()
    assert Invitation.objects.get().used_at is None
    assert User.objects.count() == 1


def test_the_last_owner_can_be_neither_demoted_nor_removed(
    client: Any, alice: Any, django_user_model: Any, workspace: Workspace
) -> None:
    client.force_login(alice)
    demoted = client.post(
        TEAM, {"action": "role", "user": alice.pk, "role": Role.ADMIN}, follow=True
    )
    assert "alice is the last owner of this workspace" in demoted.content.decode()
    removed = client.post(TEAM, {"action": "remove", "user": alice.pk}, follow=True)
    assert "alice is the last owner of this workspace" in removed.content.decode()
    assert role_in(workspace, "alice") == Role.OWNER

    dora = django_user_model.objects.create_user("dora", password="dora-password-12")
    WorkspaceMembership.objects.create(workspace=workspace, user=dora, role=Role.OWNER)
    client.post(TEAM, {"action": "role", "user": alice.pk, "role": Role.ADMIN})
    assert role_in(workspace, "alice") == Role.ADMIN  # dora still owns it


def test_only_an_owner_gives_or_takes_the_owner_role(
    client: Any, alice: Any, django_user_model: Any, workspace: Workspace
) -> None:
    ada = django_user_model.objects.create_user("ada", password="ada-password-123")
    WorkspaceMembership.objects.create(workspace=workspace, user=ada, role=Role.ADMIN)
    client.force_login(ada)
    promoted = client.post(
        TEAM, {"action": "role", "user": ada.pk, "role": Role.OWNER}, follow=True
    )
    assert "Only an owner may give or take away the owner role." in promoted.content.decode()
    client.post(TEAM, {"action": "remove", "user": alice.pk})
    assert role_in(workspace, "alice") == Role.OWNER
    assert role_in(workspace, "ada") == Role.ADMIN
    with pytest.raises(TeamError):
        do_invite_teammate(workspace, Role.OWNER, acting_user=ada)
    ok = client.post(TEAM, {"action": "invite", "role": Role.OPERATOR})
    assert b"data-link" in ok.content
    unknown = client.post(TEAM, {"action": "invite", "role": "overlord"})
    assert unknown.status_code == 400
    assert "Select a valid choice. overlord is not one of the available choices." in (
        unknown.content.decode()
    )


def test_the_team_of_another_workspace_is_out_of_reach(
    client: Any, alice: Any, charlie: Any, other_workspace: Workspace
) -> None:
    client.force_login(alice)
    assert client.get("/w/rival/team/").status_code == 404
    assert client.post(TEAM, {"action": "remove", "user": charlie.pk}).status_code == 404
    assert role_in(other_workspace, "charlie") == Role.OWNER

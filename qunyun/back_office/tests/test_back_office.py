"""The back office is for superusers only: a staff flag opens nothing, whatever the
user's role; superusers see every workspace there, and their changes are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from qunyun.audit.models import AuditEvent
from qunyun.encryption import seal
from qunyun.ingest.models import Forum
from qunyun.members.models import Member
from qunyun.team.actions import do_add_workspace_member
from qunyun.workspaces.models import Role, Workspace


@pytest.fixture
def staff(django_user_model: Any, workspace: Workspace) -> Any:
    """A staff user with every permission on members, and a role in Acme."""

    def make(role: str) -> Any:
        user = django_user_model.objects.create_user(
            f"staff-{role}", password="staff-password-1", is_staff=True
        )
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="members"))
        do_add_workspace_member(workspace, user, role)
        return user

    return make


@pytest.fixture
def two_members(workspace: Workspace, other_workspace: Workspace) -> tuple[Member, Member]:
    return (
        Member.objects.create(workspace=workspace, display_name="A-person"),
        Member.objects.create(workspace=other_workspace, display_name="B-secret-person"),
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.OPERATOR, Role.MODERATOR])
def test_staff_who_are_not_superusers_do_not_get_in(
    client: Any, staff: Any, two_members: tuple[Member, Member], role: str
) -> None:
    mine, _theirs = two_members
    client.force_login(staff(role))
    for url in (
        reverse("admin:index"),
        reverse("admin:members_member_changelist"),
        reverse("admin:members_member_change", args=[mine.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))
    deleted = client.post(reverse("admin:members_member_delete", args=[mine.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert Member.objects.filter(pk=mine.pk).exists()
    assert b"Back office" not in client.get("/w/acme/").content


def test_the_back_office_login_turns_staff_away_with_a_reason(
    client: Any, staff: Any, workspace: Workspace
) -> None:
    staff(Role.OWNER)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff-owner", "password": "staff-password-1", "next": "/admin/"},
    )
    assert response.status_code == 200
    assert "The back office is for superusers only." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_superuser_sees_every_workspace_and_changes_are_audited(
    client: Any, django_user_model: Any, two_members: tuple[Member, Member]
) -> None:
    mine, theirs = two_members
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    client.force_login(root)
    listing = client.get(reverse("admin:members_member_changelist"))
    assert listing.status_code == 200
    assert b"A-person" in listing.content and b"B-secret-person" in listing.content
    assert b"Back office" in client.get("/w/acme/").content
    response = client.post(
        reverse("admin:members_member_delete", args=[theirs.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Member.objects.filter(pk=theirs.pk).exists()
    event = AuditEvent.objects.get(action="member_deleted_in_back_office")
    assert event.target == f"member:{theirs.pk}" and event.actor == root
    assert Member.objects.filter(pk=mine.pk).exists()


def test_a_forum_is_shown_without_its_key_and_cannot_be_added_or_deleted_there(
    client: Any, django_user_model: Any, workspace: Workspace
) -> None:
    forum = Forum.objects.create(
        workspace=workspace,
        base_url="https://forum.example.org",
        api_key_sealed=seal("k-3f9a-secret-value"),
    )
    root = django_user_model.objects.create_superuser("root", password="root-password-1")
    client.force_login(root)

    listing = client.get(reverse("admin:ingest_forum_changelist"))
    page = client.get(reverse("admin:ingest_forum_change", args=[forum.pk]))

    assert listing.status_code == page.status_code == 200
    assert b"https://forum.example.org" in listing.content
    for shown in (listing.content, page.content):
        assert b"k-3f9a-secret-value" not in shown and forum.api_key_sealed.encode() not in shown
    assert client.get(reverse("admin:ingest_forum_add")).status_code == 403
    deleting = client.post(reverse("admin:ingest_forum_delete", args=[forum.pk]), {"post": "yes"})
    assert deleting.status_code == 403 and Forum.objects.filter(pk=forum.pk).exists()

"""The back office keeps the workspace rules: a staff admin of A sees and changes only A."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from qunyun.audit.models import AuditEvent
from qunyun.members.models import Member
from qunyun.team.actions import do_add_workspace_member
from qunyun.workspaces.models import Role, Workspace


@pytest.fixture
def staff(django_user_model: Any, workspace: Workspace) -> Any:
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


def test_an_admin_of_a_sees_only_a_in_the_back_office(
    client: Any, staff: Any, two_members: tuple[Member, Member]
) -> None:
    mine, theirs = two_members
    client.force_login(staff(Role.ADMIN))
    listing = client.get(reverse("admin:members_member_changelist"))
    assert listing.status_code == 200
    assert b"A-person" in listing.content
    assert b"B-secret-person" not in listing.content
    other = client.get(reverse("admin:members_member_change", args=[theirs.pk]))
    assert other.status_code == 302  # "doesn't exist", back to the index
    assert client.get(reverse("admin:members_member_change", args=[mine.pk])).status_code == 200


def test_a_change_in_the_back_office_is_audited(
    client: Any, staff: Any, two_members: tuple[Member, Member]
) -> None:
    mine, _theirs = two_members
    client.force_login(staff(Role.OWNER))
    response = client.post(reverse("admin:members_member_delete", args=[mine.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Member.objects.filter(pk=mine.pk).exists()
    event = AuditEvent.objects.get(action="member_deleted_in_back_office")
    assert event.target == f"member:{mine.pk}"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ANALYST, Role.MODERATOR])
def test_other_roles_see_no_rows_in_the_back_office(
    client: Any, staff: Any, two_members: tuple[Member, Member], role: str
) -> None:
    client.force_login(staff(role))
    listing = client.get(reverse("admin:members_member_changelist"))
    assert listing.status_code == 403

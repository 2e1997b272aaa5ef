"""The audit log: one row for each mutating action, readable by owners and admins only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.audit.models import AuditEvent
from qunyun.backups.archive import do_backup, do_restore
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.actions import do_tag_members
from qunyun.members.merging import do_decide_suggestion, do_merge_members, do_unmerge_identity
from qunyun.members.models import Identity, Member, MergeSuggestion
from qunyun.privacy.actions import do_erase_member, do_export_member
from qunyun.team.actions import (
    do_add_workspace_member,
    do_create_api_token,
    do_get_or_create_workspace,
    do_revoke_api_token,
)
from qunyun.workspaces.models import Role, Workspace


@pytest.fixture
def three_people(workspace: Workspace) -> list[Member]:
    do_import_records(
        workspace,
        iter(
            [
                message("1", utc(2026, 3, 1, 8), "u1", name="张伟"),
                message("2", utc(2026, 3, 1, 9), "u2", name="zhangwei"),
                message("3", utc(2026, 3, 1, 10), "u3", name="Carol"),
            ]
        ),
        file_name="seed",
        format_name="jsonl",
    )
    return list(Member.objects.filter(workspace=workspace).order_by("id"))


def exactly_one_new_event(action: str, before: int) -> AuditEvent:
    new = list(AuditEvent.objects.filter(pk__gt=before).order_by("id"))
    assert [e.action for e in new] == [action], [e.action for e in new]
    return new[0]


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_each_mutating_action_leaves_exactly_one_audit_row(
    workspace: Workspace,
    alice: Any,
    django_user_model: Any,
    three_people: list[Member],
    tmp_path: Path,
) -> None:
    a, b, c = three_people
    steps: list[tuple[str, Any]] = [
        (
            "activities_imported",
            lambda: do_import_records(
                workspace,
                iter([message("4", utc(2026, 3, 2, 8), "u4", name="Dan")]),
                file_name="more.jsonl",
                format_name="jsonl",
                acting_user=alice,
            ),
        ),
        ("workspace_created", lambda: do_get_or_create_workspace("new-one", acting_user=alice)),
        (
            "teammate_added",
            lambda: do_add_workspace_member(
                workspace,
                django_user_model.objects.create_user("bob", password="bob-password-1"),
                Role.ANALYST,
                acting_user=alice,
            ),
        ),
        (
            "role_changed",
            lambda: do_add_workspace_member(
                workspace,
                django_user_model.objects.get(username="bob"),
                Role.OPERATOR,
                acting_user=alice,
            ),
        ),
        ("members_tagged", lambda: do_tag_members(workspace, "KOC", [a.pk], acting_user=alice)),
        (
            "members_merged",
            lambda: do_merge_members(workspace, a, b, reason="same person", acting_user=alice),
        ),
        (
            "member_unmerged",
            lambda: do_unmerge_identity(
                workspace, Identity.objects.get(external_id="u2"), acting_user=alice
            ),
        ),
        ("api_token_created", lambda: do_create_api_token(workspace, alice, name="ci")),
        (
            "api_token_revoked",
            lambda: do_revoke_api_token(workspace.api_tokens.get(name="ci"), acting_user=alice),
        ),
        ("member_data_exported", lambda: do_export_member(workspace, c, acting_user=alice)),
        ("member_erased", lambda: do_erase_member(workspace, c, acting_user=alice)),
        ("backup_made", lambda: do_backup(tmp_path / "b.zip")),
    ]
    for action, step in steps:
        before = last_id()
        step()
        event = exactly_one_new_event(action, before)
        assert event.action == action

    # The unmerge left a rejected suggestion between the two; reopen it and reject again.
    suggestion = MergeSuggestion.objects.get(workspace=workspace)
    MergeSuggestion.objects.filter(pk=suggestion.pk).update(status=MergeSuggestion.Status.OPEN)
    suggestion.refresh_from_db()
    before = last_id()
    do_decide_suggestion(workspace, suggestion, accept=False, acting_user=alice)
    exactly_one_new_event("merge_suggestion_rejected", before)

    before = last_id()
    do_restore(tmp_path / "b.zip")
    assert AuditEvent.objects.order_by("-id").first().action == "backup_restored"  # type: ignore[union-attr]


def test_changing_an_audit_event_is_refused(workspace: Workspace) -> None:
    event = record_event(AuditAction.MEMBERS_TAGGED, workspace=workspace)
    event.action = AuditAction.MEMBERS_MERGED
    with pytest.raises(ValueError, match="append-only"):
        event.save()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.OPERATOR, 403),
        (Role.ANALYST, 403),
        (Role.MODERATOR, 403),
    ],
)
def test_owners_and_admins_read_the_log(
    client: Any, workspace: Workspace, django_user_model: Any, role: str, status: int
) -> None:
    user = django_user_model.objects.create_user("reader", password="reader-password-1")
    do_add_workspace_member(workspace, user, role)
    client.force_login(user)
    response = client.get(reverse("audit_log", args=[workspace.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    if status == 200:
        assert b"teammate_added" in response.content
        assert b'href="/w/acme/audit/"' in response.content  # the nav link
    else:
        home = client.get(reverse("members", args=[workspace.slug]))
        assert b'href="/w/acme/audit/"' not in home.content


def test_the_log_filters_by_action_and_shows_no_other_workspace(
    client: Any, alice: Any, workspace: Workspace, other_workspace: Workspace
) -> None:
    record_event(
        AuditAction.MEMBERS_TAGGED, workspace=workspace, actor=alice, target="tag:1", tag="KOC"
    )
    record_event(
        AuditAction.MEMBERS_TAGGED, workspace=other_workspace, target="tag:2", tag="RIVAL-SECRET"
    )
    client.force_login(alice)
    url = reverse("audit_log", args=[workspace.slug])
    page = client.get(url, {"action": "members_tagged"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.count(b'data-action="members_tagged"') == 1
    assert b"RIVAL-SECRET" not in page.content
    assert client.get(reverse("audit_log", args=[other_workspace.slug])).status_code == 404

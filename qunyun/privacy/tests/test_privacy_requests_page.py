"""The privacy-requests page: Alice (owner) logs a member's request, sees its deadline
(late ones highlighted), answers it with the export or the erasure — each audited, the
request marked done — and edits the retention policy, with bad values named."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from io import BytesIO
from typing import Any

import pytest
import time_machine

from qunyun.activity.models import Activity
from qunyun.audit.models import AuditEvent
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Member
from qunyun.privacy.models import Law, PrivacyRequest, RequestKind
from qunyun.privacy.requests import do_log_privacy_request
from qunyun.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

PAGE = "/w/acme/privacy/"
PERSONAL = "Zhou Canary周金丝雀"


def logged(workspace: Workspace, member: Member, kind: str, law: str, *, by: Any) -> PrivacyRequest:
    """A request received on 1 December 2026, logged by ``by``."""
    return do_log_privacy_request(
        workspace, member, kind=kind, law=law, received_on=date(2026, 12, 1), acting_user=by
    )


@pytest.fixture
def zhou(workspace: Workspace) -> Member:
    do_import_records(
        workspace,
        iter(
            [
                message("1", utc(2026, 11, 2, 8), "z1", name=PERSONAL, text="我的消息"),
                message("2", utc(2026, 11, 3, 8), "z1", name=PERSONAL, text="再来一条"),
                message("3", utc(2026, 11, 3, 9), "u2", name="Bob"),
            ]
        ),
        file_name="seed.jsonl",
        format_name="jsonl",
    )
    return Member.objects.get(workspace=workspace, identities__external_id="z1")


def log(client: Any, member: Member, kind: str, law: str, received: str, note: str = "") -> Any:
    return client.post(
        PAGE,
        {
            "action": "log",
            "member": member.pk,
            "kind": kind,
            "law": law,
            "received_on": received,
            "note": note,
        },
    )


@time_machine.travel("2026-12-07T04:00:00Z", tick=False)  # Monday 7 December, noon in Shanghai
def test_a_logged_request_shows_its_deadline_and_lateness(
    client: Any, alice: Any, zhou: Member
) -> None:
    client.force_login(alice)
    assert log(client, zhou, RequestKind.EXPORT, Law.PIPL, "2026-12-04").status_code == 302
    assert log(client, zhou, RequestKind.ERASE, Law.GDPR, "2026-10-31").status_code == 302
    assert log(client, zhou, RequestKind.EXPORT, Law.PIPL, "2026-11-13").status_code == 302

    page = client.get(PAGE).content.decode()
    pipl, gdpr, late_pipl = PrivacyRequest.objects.order_by("id")
    assert "2026-12-25" in page  # PIPL: 15 working days after Friday 4 December
    assert "2026-11-30" in page  # GDPR: 31 October + one month = 30 November
    assert f'data-request="{gdpr.pk}" data-state="overdue" class="overdue"' in page
    assert "overdue by 7 days" in page
    assert f'data-request="{pipl.pk}" data-state="open"' in page
    assert "18 days left" in page
    # 13 November (a Friday) + 15 working days = Friday 4 December: three days late.
    assert f'data-request="{late_pipl.pk}" data-state="overdue"' in page
    assert page.index(f'data-request="{gdpr.pk}"') < page.index(f'data-request="{pipl.pk}"')
    logged = AuditEvent.objects.filter(action="privacy_request_logged").order_by("id").first()
    assert logged is not None and logged.params["deadline"] == "2026-12-25"


def test_bad_requests_are_named_field_by_field(client: Any, alice: Any, zhou: Member) -> None:
    client.force_login(alice)
    stranger = Member(pk=zhou.pk + 1000)
    missing = log(client, stranger, RequestKind.EXPORT, Law.PIPL, "2026-01-05")
    assert missing.status_code == 400
    assert f"No member {zhou.pk + 1000} in this workspace." in missing.content.decode()
    future = log(client, zhou, RequestKind.EXPORT, Law.PIPL, "2999-01-01")
    assert "A request cannot be received in the future." in future.content.decode()
    garbled = log(client, zhou, "forget-me", "ccpa", "yesterday")
    assert garbled.status_code == 400
    assert garbled.content.decode().count('role="alert"') == 3
    assert not PrivacyRequest.objects.exists()


def test_the_export_downloads_the_members_data_and_closes_the_request(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    client.force_login(alice)
    request = logged(workspace, zhou, RequestKind.EXPORT, Law.GDPR, by=alice)
    url = f"/w/acme/privacy/requests/{request.pk}/export/"
    download = client.post(url, {"format": "json"})
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="member-{zhou.pk}-data.json"'
    data = json.loads(download.content)
    assert data["member"]["display_name"] == PERSONAL
    assert [a["text"] for a in data["activities"]] == ["我的消息", "再来一条"]
    request.refresh_from_db()
    assert request.done_at is not None and request.done_by == alice
    assert AuditEvent.objects.filter(action="member_data_exported", actor=alice).count() == 1
    done = AuditEvent.objects.get(action="privacy_request_completed")
    assert done.target == f"privacy_request:{request.pk}" and done.params["activities"] == 2

    again = client.post(url, {"format": "xlsx"}, follow=True)
    assert "was already answered on" in again.content.decode()
    assert AuditEvent.objects.filter(action="member_data_exported").count() == 1


def test_the_export_also_comes_as_a_workbook(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    client.force_login(alice)
    request = logged(workspace, zhou, RequestKind.EXPORT, Law.PIPL, by=alice)
    book = client.post(f"/w/acme/privacy/requests/{request.pk}/export/", {"format": "xlsx"})
    assert book["Content-Disposition"].endswith('.xlsx"')
    assert "xl/workbook.xml" in zipfile.ZipFile(BytesIO(book.content)).namelist()


def test_the_erasure_asks_first_then_deletes_and_closes_the_request(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    client.force_login(alice)
    assert log(client, zhou, RequestKind.ERASE, Law.PIPL, "2026-12-01", note=f"from {PERSONAL}")
    request = PrivacyRequest.objects.get()
    url = f"/w/acme/privacy/requests/{request.pk}/erase/"
    confirm = client.get(url)
    assert "It cannot be undone." in confirm.content.decode()
    unticked = client.post(url, {})
    assert unticked.status_code == 400
    assert "Tick the box to confirm the erasure." in unticked.content.decode()
    assert Member.objects.filter(pk=zhou.pk).exists()

    erased = client.post(url, {"confirm": "on"}, follow=True)
    assert f"Member {zhou.pk} erased: 2 activities and 1 identities deleted" in (
        erased.content.decode()
    )
    assert not Member.objects.filter(pk=zhou.pk).exists()
    assert not Activity.objects.filter(text="我的消息").exists()
    request.refresh_from_db()
    assert request.member is None and request.member_number == zhou.pk
    assert request.done_by == alice and request.note == "from [erased]"
    assert PERSONAL not in erased.content.decode()
    assert f'data-request="{request.pk}" data-state="done"' in erased.content.decode()
    assert AuditEvent.objects.filter(action="member_erased", actor=alice).count() == 1
    assert AuditEvent.objects.filter(action="privacy_request_completed").count() == 1
    assert not any(PERSONAL in json.dumps(e.params) for e in AuditEvent.objects.all())


def test_an_export_request_cannot_be_answered_by_an_erasure(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    client.force_login(alice)
    request = logged(workspace, zhou, RequestKind.EXPORT, Law.PIPL, by=alice)
    refused = client.post(
        f"/w/acme/privacy/requests/{request.pk}/erase/", {"confirm": "on"}, follow=True
    )
    assert "asks for Data export (access, portability), not this." in refused.content.decode()
    assert Member.objects.filter(pk=zhou.pk).exists()


def test_the_retention_policy_is_edited_with_its_bounds_named(
    client: Any, alice: Any, workspace: Workspace
) -> None:
    client.force_login(alice)
    saved = client.post(PAGE, {"action": "retention", "retention_days": "365"}, follow=True)
    assert "activities older than 365 days are deleted every day" in saved.content.decode()
    workspace.refresh_from_db()
    assert workspace.retention_days == 365
    for bad, says in [
        ("0", "Keep activities at least 1 day"),
        ("-5", "Keep activities at least 1 day"),
        ("forever", "Write the number of days as a whole number"),
        ("40000", "At most 36500 days"),
    ]:
        refused = client.post(PAGE, {"action": "retention", "retention_days": bad})
        assert refused.status_code == 400
        assert says in refused.content.decode()
    workspace.refresh_from_db()
    assert workspace.retention_days == 365
    client.post(PAGE, {"action": "retention", "retention_days": ""})
    workspace.refresh_from_db()
    assert workspace.retention_days is None
    changes = AuditEvent.objects.filter(action="retention_policy_changed").order_by("id")
    assert [(e.params["previous_retention_days"], e.params["retention_days"]) for e in changes] == [
        (None, 365),
        (365, None),
    ]


def test_requests_of_another_workspace_are_out_of_reach(
    client: Any, alice: Any, other_workspace: Workspace
) -> None:
    do_import_records(
        other_workspace,
        iter([message("9", utc(2026, 11, 2, 8), "r1", name="Rival person")]),
        file_name="r.jsonl",
        format_name="jsonl",
    )
    theirs = Member.objects.get(workspace=other_workspace)
    request = do_log_privacy_request(
        other_workspace, theirs, kind=RequestKind.ERASE, law=Law.GDPR,
        received_on=date(2026, 12, 1), acting_user=None,
    )  # fmt: skip
    client.force_login(alice)
    url = f"/w/acme/privacy/requests/{request.pk}/erase/"
    assert client.post(url, {"confirm": "on"}).status_code == 404
    assert Member.objects.filter(pk=theirs.pk).exists()
    assert "Rival person" not in client.get(PAGE).content.decode()
    assert log(client, theirs, RequestKind.EXPORT, Law.PIPL, "2026-12-01").status_code == 400


def test_a_members_profile_leads_to_a_request_for_them(
    client: Any, alice: Any, django_user_model: Any, workspace: Workspace, zhou: Member
) -> None:
    client.force_login(alice)
    profile = client.get(f"/w/acme/members/{zhou.pk}/").content.decode()
    assert f'href="/w/acme/privacy/?member={zhou.pk}" data-privacy-request' in profile
    form = client.get(PAGE, {"member": zhou.pk}).content.decode()
    assert f'name="member" value="{zhou.pk}"' in form

    from qunyun.team.actions import do_add_workspace_member

    operator = django_user_model.objects.create_user("op", password="op-password-1234")
    do_add_workspace_member(workspace, operator, "operator")
    client.force_login(operator)
    assert "data-privacy-request" not in client.get(f"/w/acme/members/{zhou.pk}/").content.decode()


def test_an_erasure_made_elsewhere_answers_the_members_open_erasure_request(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    request = logged(workspace, zhou, RequestKind.ERASE, Law.PIPL, by=alice)
    from qunyun.team.actions import do_create_api_token

    _token, secret = do_create_api_token(workspace, alice, name="dpo")
    erased = client.post(
        f"/api/v1/workspaces/acme/members/{zhou.pk}/erasure", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert erased.status_code == 200
    request.refresh_from_db()
    assert request.done_at is not None and request.done_by == alice
    completed = AuditEvent.objects.get(action="privacy_request_completed")
    assert completed.target == f"privacy_request:{request.pk}"


def test_a_request_is_closed_without_answer_saying_why(
    client: Any, alice: Any, workspace: Workspace, zhou: Member
) -> None:
    request = logged(workspace, zhou, RequestKind.EXPORT, Law.GDPR, by=alice)
    client.force_login(alice)
    unexplained = client.post(
        PAGE, {"action": "close", "request": request.pk, "reason": "  "}, follow=True
    )
    assert "Say why the request is closed without an answer." in unexplained.content.decode()
    page = client.post(
        PAGE,
        {"action": "close", "request": request.pk, "reason": "identity not verified"},
        follow=True,
    ).content.decode()
    assert f"Request {request.pk} closed." in page
    assert f'data-request="{request.pk}" data-state="done"' in page
    assert "identity not verified" in page
    request.refresh_from_db()
    assert request.closed_reason == "identity not verified" and request.done_by == alice
    event = AuditEvent.objects.get(action="privacy_request_closed")
    assert event.params["reason"] == "identity not verified"
    again = client.post(
        PAGE, {"action": "close", "request": request.pk, "reason": "x"}, follow=True
    )
    assert "was already answered on" in again.content.decode()
    assert client.post(PAGE, {"action": "close", "request": "999999"}).status_code == 404

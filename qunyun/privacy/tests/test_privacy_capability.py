"""The ``privacy`` capability gates members' data export and erasure on every surface:
the privacy-requests page, the API, and the CLI acting for a user (``--user``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.audit.models import AuditEvent
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Member
from qunyun.privacy.actions import do_erase_member, do_export_member
from qunyun.privacy.errors import PrivacyRefused
from qunyun.privacy.models import Law, RequestKind
from qunyun.privacy.requests import do_log_privacy_request
from qunyun.team.actions import do_add_workspace_member, do_create_api_token
from qunyun.workspaces.models import Role, Workspace

pytestmark = pytest.mark.django_db

WITHOUT_PRIVACY = [Role.OPERATOR, Role.ANALYST, Role.MODERATOR]


@pytest.fixture
def member(workspace: Workspace) -> Member:
    do_import_records(
        workspace,
        iter([message("1", utc(2026, 11, 2, 8), "z1", name="Zhou", text="你好")]),
        file_name="seed.jsonl",
        format_name="jsonl",
    )
    return Member.objects.get(workspace=workspace)


def teammate(django_user_model: Any, workspace: Workspace, role: str) -> Any:
    user = django_user_model.objects.create_user(role, password=f"{role}-password-123")
    do_add_workspace_member(workspace, user, role)
    return user


# -- the actions (below every surface) ----------------------------------------------------


@pytest.mark.parametrize("role", WITHOUT_PRIVACY)
def test_the_actions_refuse_a_role_without_privacy(
    django_user_model: Any, workspace: Workspace, member: Member, role: str
) -> None:
    user = teammate(django_user_model, workspace, role)
    with pytest.raises(PrivacyRefused, match="only owners and admins export or erase"):
        do_export_member(workspace, member, acting_user=user)
    with pytest.raises(PrivacyRefused):
        do_erase_member(workspace, member, acting_user=user)
    assert Member.objects.filter(pk=member.pk).exists()
    assert not AuditEvent.objects.filter(action="member_data_exported").exists()


def test_the_actions_refuse_someone_outside_the_workspace(
    charlie: Any, workspace: Workspace, member: Member
) -> None:
    with pytest.raises(PrivacyRefused, match="charlie is not a member of workspace “acme”"):
        do_export_member(workspace, member, acting_user=charlie)


# -- the web -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WITHOUT_PRIVACY)
def test_the_page_refuses_a_role_without_privacy(
    client: Any, django_user_model: Any, workspace: Workspace, member: Member, role: str
) -> None:
    export = do_log_privacy_request(
        workspace, member, kind=RequestKind.EXPORT, law=Law.PIPL, received_on=date(2026, 12, 1),
        acting_user=None,
    )  # fmt: skip
    erase = do_log_privacy_request(
        workspace, member, kind=RequestKind.ERASE, law=Law.PIPL, received_on=date(2026, 12, 1),
        acting_user=None,
    )  # fmt: skip
    client.force_login(teammate(django_user_model, workspace, role))
    assert client.get("/w/acme/privacy/").status_code == 403
    assert client.post(f"/w/acme/privacy/requests/{export.pk}/export/").status_code == 403
    erased = client.post(f"/w/acme/privacy/requests/{erase.pk}/erase/", {"confirm": "on"})
    assert erased.status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()
    assert "/w/acme/privacy/" not in client.get("/w/acme/").content.decode()  # not in the nav


def test_owners_see_the_page_in_the_top_bar(client: Any, alice: Any) -> None:
    client.force_login(alice)
    page = client.get("/w/acme/").content.decode()
    assert 'href="/w/acme/privacy/"' in page and 'href="/w/acme/team/"' in page


# -- the API -------------------------------------------------------------------------------


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_an_owners_token_exports_and_erases(
    client: Any, alice: Any, workspace: Workspace, member: Member
) -> None:
    _token, secret = do_create_api_token(workspace, alice, name="dpo")
    data = client.get(f"/api/v1/workspaces/acme/members/{member.pk}/data", **bearer(secret))
    assert data.status_code == 200
    assert data.json()["member"]["display_name"] == "Zhou"
    assert [a["text"] for a in data.json()["activities"]] == ["你好"]
    erased = client.post(f"/api/v1/workspaces/acme/members/{member.pk}/erasure", **bearer(secret))
    assert erased.status_code == 200
    assert erased.json()["activities"] == 1
    assert not Member.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(action="member_erased", actor=alice).count() == 1


@pytest.mark.parametrize("role", WITHOUT_PRIVACY)
def test_the_api_refuses_a_role_without_privacy(
    client: Any, django_user_model: Any, workspace: Workspace, member: Member, role: str
) -> None:
    user = teammate(django_user_model, workspace, role)
    _token, secret = do_create_api_token(workspace, user, name="script")
    data = client.get(f"/api/v1/workspaces/acme/members/{member.pk}/data", **bearer(secret))
    assert data.status_code == 403
    assert data.json()["detail"] == "Your role may not do this in this workspace."
    erase_url = f"/api/v1/workspaces/acme/members/{member.pk}/erasure"
    assert client.post(erase_url, **bearer(secret)).status_code == 403
    client.force_login(user)  # the browser session is held to the same table
    assert client.post(erase_url).status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


def test_an_owners_analyst_token_may_not_erase(
    client: Any, alice: Any, workspace: Workspace, member: Member
) -> None:
    _token, secret = do_create_api_token(workspace, alice, name="read-only", role=Role.ANALYST)
    erase_url = f"/api/v1/workspaces/acme/members/{member.pk}/erasure"
    assert client.post(erase_url, **bearer(secret)).status_code == 403
    assert Member.objects.filter(pk=member.pk).exists()


# -- the CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WITHOUT_PRIVACY)
def test_the_cli_refuses_a_user_without_privacy(
    django_user_model: Any, workspace: Workspace, member: Member, role: str, tmp_path: Path
) -> None:
    teammate(django_user_model, workspace, role)
    out = tmp_path / "data.json"
    with pytest.raises(CommandError) as refused:
        call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                     "--out", str(out), "--user", role)  # fmt: skip
    assert str(refused.value) == (
        f"{role} is {Role(role).label} in workspace “acme”: only owners and admins export "
        "or erase members' data."
    )
    assert refused.value.returncode == 1
    assert not out.exists()
    # The erasure refuses before it asks anything (there is no one to answer here).
    with pytest.raises(CommandError, match="only owners and admins"):
        call_command("privacy", "erase", "--workspace", "acme", "--member", str(member.pk),
                     "--user", role)  # fmt: skip
    assert Member.objects.filter(pk=member.pk).exists()
    assert not AuditEvent.objects.filter(action__in=["member_data_exported", "member_erased"])


@pytest.mark.once
def test_the_real_command_stops_in_one_line_with_a_non_zero_status(tmp_path: Path) -> None:
    """``python -m qunyun privacy … --user`` as an operator types it, on its own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNYUN_")}
    env |= {"QUNYUN_DATA_DIR": str(tmp_path / "cli"), "QUNYUN_LANGUAGE": "en"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "qunyun", *args],
            env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip

    assert run("migrate", "-v0").returncode == 0
    seeded = run("shell", "-c", SEED)
    assert seeded.returncode == 0, seeded.stderr
    member_id = seeded.stdout.strip().splitlines()[-1]
    out = tmp_path / "data.json"
    export = ["privacy", "export", "--workspace", "acme", "--member", member_id, "--out", str(out)]

    refused = run(*export, "--user", "olga")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "CommandError: olga is Operator in workspace “acme”: only owners and admins export "
        "or erase members' data."
    ]
    assert not out.exists()
    done = run(*export, "--user", "owen")
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["member"]["display_name"] == "Zhou"


SEED = """
from django.contrib.auth.models import User
from qunyun.members.models import Member
from qunyun.team.actions import do_add_workspace_member, do_get_or_create_workspace
workspace = do_get_or_create_workspace("acme")
for name, role in (("olga", "operator"), ("owen", "owner")):
    do_add_workspace_member(workspace, User.objects.create_user(name), role)
print(Member.objects.create(workspace=workspace, display_name="Zhou").pk)
"""


def test_the_cli_acts_for_an_owner_and_names_them_in_the_audit_log(
    alice: Any, member: Member, tmp_path: Path
) -> None:
    out = tmp_path / "data.json"
    call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                 "--out", str(out), "--user", "alice")  # fmt: skip
    assert json.loads(out.read_text(encoding="utf-8"))["member"]["display_name"] == "Zhou"
    assert AuditEvent.objects.get(action="member_data_exported").actor == alice
    call_command("privacy", "erase", "--workspace", "acme", "--member", str(member.pk),
                 "--user", "alice", "--yes")  # fmt: skip
    assert AuditEvent.objects.get(action="member_erased").actor == alice


def test_the_cli_names_an_unknown_user(member: Member, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No active user “nobody”."):
        call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                     "--out", str(tmp_path / "x.json"), "--user", "nobody")  # fmt: skip

"""Privacy requests: a member's data export, erasure (canaries found nowhere afterwards),
the retention policy (frozen time) and the pseudonymized export for analysts."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from qunyun.activity.models import Activity
from qunyun.analytics.selectors import workspace_kpis
from qunyun.backups.archive import backed_up_models
from qunyun.members.merging import do_merge_members
from qunyun.members.models import Member
from qunyun.privacy.actions import do_export_pseudonymized, do_purge_expired
from qunyun.privacy.selectors import EXCLUDED, EXPORTED, member_links
from qunyun.workspaces.models import Workspace

CANARY_NAME = "Canary金丝雀Name7731"
CANARY_TEXT = "canary-secret-text-5519"
CANARY_HANDLE = "canary_handle_8842"


def write_export(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def activity(ext: str, when: str, member: str, name: str, text: str = "", **extra: Any) -> dict:
    return {
        "external_id": ext,
        "kind": extra.pop("kind", "message"),
        "occurred_at": when,
        "member_id": member,
        "member_name": name,
        "text": text,
        "source": "telegram",
        "channel": "g1",
        **extra,
    }


@pytest.fixture
def community(workspace: Workspace, tmp_path: Path) -> Workspace:
    rows = [
        activity("1", "2026-03-01T08:00:00Z", "c1", CANARY_NAME, f"hi {CANARY_TEXT}",
                 member_handle=CANARY_HANDLE),
        activity("2", "2026-03-01T09:00:00Z", "u2", "Bob", "hello Canary", reply_to="1"),
        activity("3", "2026-03-02T10:00:00Z", "c1", CANARY_NAME, f"again {CANARY_TEXT}?"),
        activity("4", "2026-03-03T10:00:00Z", "u3", "Carol", "morning"),
    ]  # fmt: skip
    telegram_twin = activity("5", "2026-03-04T10:00:00Z", "c9", CANARY_NAME, "twin")
    telegram_twin["source"] = "discord"
    rows.append(telegram_twin)
    call_command("import", "jsonl", str(write_export(tmp_path / "x.jsonl", rows)),
                 "--workspace", workspace.slug, "--no-progress")  # fmt: skip
    return workspace


def canary_member(workspace: Workspace) -> Member:
    return Member.objects.get(workspace=workspace, identities__external_id="c1")


def test_every_model_linked_to_a_member_is_exported_or_listed_as_excluded() -> None:
    assert member_links() == set(EXPORTED) | set(EXCLUDED)


def test_a_member_gets_all_their_data_as_json_and_xlsx(
    community: Workspace, tmp_path: Path
) -> None:
    member = canary_member(community)
    call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                 "--out", str(tmp_path / "me.json"))  # fmt: skip
    data = json.loads((tmp_path / "me.json").read_text())
    assert data["member"]["display_name"] == CANARY_NAME
    assert [i["handle"] for i in data["identities"]] == [CANARY_HANDLE]
    assert [a["external_id"] for a in data["activities"]] == ["1", "3"]
    assert data["activities"][0]["text"] == f"hi {CANARY_TEXT}"
    assert set(EXPORTED.values()) <= set(data)

    call_command("privacy", "export", "--workspace", "acme", "--member", str(member.pk),
                 "--out", str(tmp_path / "me.xlsx"))  # fmt: skip
    book = load_workbook(tmp_path / "me.xlsx", read_only=True)
    assert book.sheetnames == [
        "Profile", "Identities", "Tags", "Activities", "Merge suggestions", "Audit events"
    ]  # fmt: skip
    activities = list(book["Activities"].iter_rows(values_only=True))
    assert len(activities) == 3 and f"again {CANARY_TEXT}?" in activities[2]


def everything_in_the_database() -> str:
    chunks = []
    for model in backed_up_models():
        names = [f.attname for f in model._meta.concrete_fields]
        chunks.append(repr(list(model._base_manager.values_list(*names))))
    return "\n".join(chunks)


def everything_in_the_snapshot(folder: Path) -> str:
    chunks = []
    for path in folder.rglob("*.parquet"):
        chunks.append(repr(pq.read_table(path).to_pylist()))
        chunks.append(path.read_bytes().decode("latin-1"))
    return "\n".join(chunks)


def test_an_erased_member_leaves_no_trace_in_database_snapshot_or_logs(
    community: Workspace, settings: Any, caplog: Any, capsys: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    member = canary_member(community)
    twin = Member.objects.get(workspace=community, identities__external_id="c9")
    member = do_merge_members(community, member, twin, reason="same person", acting_user=None)
    assert workspace_kpis(community)["messages_total"] == 5
    assert CANARY_NAME in everything_in_the_database()

    call_command("privacy", "erase", "--workspace", "acme", "--member", str(member.pk), "--yes")

    for canary in (CANARY_NAME, CANARY_TEXT, CANARY_HANDLE, "c1", "c9"):
        found = [
            where
            for where, text in {
                "database": everything_in_the_database(),
                "snapshot": everything_in_the_snapshot(Path(settings.SNAPSHOT_DIR)),
                "logs": caplog.text + "".join(capsys.readouterr()),
            }.items()
            if (f"'{canary}'" if canary.startswith("c") and len(canary) == 2 else canary) in text
        ]
        assert found == [], f"{canary} found in {found}"
    assert Activity.objects.filter(workspace=community).count() == 2
    kpis = workspace_kpis(community)
    assert kpis["messages_total"] == 2
    assert kpis["members_total"] == 2


def test_the_retention_policy_deletes_what_is_older_than_its_days(
    community: Workspace,
) -> None:
    community.retention_days = 30
    community.save()
    with time_machine.travel("2026-04-02T12:00:00Z", tick=False):
        purge = do_purge_expired(community)
    # Cut-off 2026-03-03 12:00 UTC: activities 1–4 are older; 5 (03-04) stays.
    assert purge.activities == 4
    assert list(Activity.objects.values_list("external_id", flat=True)) == ["5"]
    assert purge.members == 3  # c1, Bob and Carol have nothing left inside the window
    assert workspace_kpis(community)["messages_total"] == 1


def test_the_purge_command_skips_workspaces_without_a_policy(
    community: Workspace, capsys: Any
) -> None:
    with time_machine.travel("2030-01-01T00:00:00Z", tick=False):
        call_command("privacy", "purge")
    assert Activity.objects.count() == 5


def test_the_pseudonymized_export_has_no_names_ids_or_text(community: Workspace) -> None:
    first = zipfile.ZipFile(io.BytesIO(do_export_pseudonymized(community)))
    second = zipfile.ZipFile(io.BytesIO(do_export_pseudonymized(community)))
    everything = b"".join(first.read(n) for n in first.namelist()).decode()
    for secret in (CANARY_NAME, CANARY_TEXT, CANARY_HANDLE, "Bob", "Carol", "hello"):
        assert secret not in everything
    rows = first.read("activities.csv").decode().splitlines()
    assert rows[0] == "member,source,channel,kind,occurred_at,text_length"
    assert len(rows) == 6
    first_members = {r.split(",")[0] for r in rows[1:]}
    assert len(first_members) == 4  # c1, Bob, Carol, and c1's discord twin (not merged)
    second_members = {
        r.split(",")[0] for r in second.read("activities.csv").decode().splitlines()[1:]
    }
    assert first_members.isdisjoint(second_members)

"""Backup and restore: every row comes back, a broken backup changes nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from qunyun.activity.models import Activity
from qunyun.audit.actions import record_event
from qunyun.audit.events import AuditAction
from qunyun.audit.models import AuditEvent
from qunyun.backups.archive import BackupError, backed_up_models, do_backup, do_restore
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.members.models import Identity, Member, Tag
from qunyun.workspaces.models import Workspace


def every_row() -> dict[str, list[tuple[Any, ...]]]:
    """All rows of all tables, in primary-key order, as the ORM reads them; the audit
    events of backing up and restoring themselves left out."""
    rows = {}
    for model in backed_up_models():
        names = [f.attname for f in model._meta.concrete_fields]
        query = model._base_manager.order_by("pk")
        if model is AuditEvent:
            query = query.exclude(action__in=["backup_made", "backup_restored"])
        rows[model._meta.db_table] = list(query.values_list(*names))
    return rows


@pytest.fixture
def community(workspace: Workspace, alice: Any) -> Workspace:
    records = [
        message("m1", utc(2026, 3, 1, 8), "u1", name="张伟", text="大家好 👋"),
        message("m2", utc(2026, 3, 1, 9), "u2", name="Wei Zhang", text="a\nb", reply_to="m1"),
        message("m3", utc(2026, 3, 2, 10), "u1", name="张伟", text='quote " and \\ slash'),
    ]
    do_import_records(workspace, iter(records), file_name="seed.jsonl", format_name="jsonl")
    tag = Tag.objects.create(workspace=workspace, name="核心用户")
    member = Member.objects.get(identities__external_id="u1")
    member.tags.add(tag)
    member.engagement_by_platform = {"telegram": 1.5}
    member.save()
    record_event(
        AuditAction.MEMBERS_TAGGED, workspace=workspace, actor=alice, target="u1", tag="核心用户"
    )
    return workspace


def test_a_restore_brings_back_every_row_of_every_table(
    community: Workspace, tmp_path: Path
) -> None:
    before = every_row()
    assert len(before["activity_activity"]) == 3
    summary = do_backup(tmp_path / "b.zip")
    assert summary.rows == sum(len(r) for r in before.values())

    Member.objects.filter(workspace=community).delete()
    Workspace.objects.create(slug="later", name="Made after the backup")
    assert every_row() != before

    restored = do_restore(tmp_path / "b.zip")
    assert restored.rows == summary.rows
    assert every_row() == before
    assert list(AuditEvent.objects.values_list("action", flat=True)[:1]) == ["backup_restored"]
    # Sequences continue after the restored ids (PostgreSQL needs them reset).
    created = Workspace.objects.create(slug="after", name="After the restore")
    assert created.pk > max(pk for pk, *_ in before["workspaces_workspace"])


def test_a_broken_line_restores_nothing_and_names_the_place(
    community: Workspace, tmp_path: Path
) -> None:
    do_backup(tmp_path / "b.zip")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "tables/members_member.jsonl":
                lines = data.splitlines()
                lines[-1] = lines[-1][:-5]  # cut the last row short
                data = b"\n".join(lines) + b"\n"
            target.writestr(item, data)
    Tag.objects.create(workspace=community, name="after the backup")
    current = every_row()

    with pytest.raises(BackupError, match=r"tables/members_member\.jsonl, line 2"):
        do_restore(broken)
    assert every_row() == current


def test_a_backup_of_another_schema_is_refused(community: Workspace, tmp_path: Path) -> None:
    do_backup(tmp_path / "b.zip")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(tmp_path / "b.zip") as source, zipfile.ZipFile(other, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"].append(["members", "9999_from_the_future"])
                data = json.dumps(manifest).encode()
            target.writestr(item, data)
    with pytest.raises(BackupError, match="9999_from_the_future"):
        do_restore(other)
    assert Activity.objects.count() == 3


def test_not_a_backup_is_refused_clearly(db: None, tmp_path: Path) -> None:
    junk = tmp_path / "notes.zip"
    junk.write_bytes(b"PK not really a zip")
    with pytest.raises(BackupError, match="not a Qunyun backup"):
        do_restore(junk)
    with pytest.raises(BackupError, match="No such backup file"):
        do_restore(tmp_path / "missing.zip")


def test_the_commands_back_up_and_restore(
    community: Workspace, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    before = every_row()
    call_command("backup", str(tmp_path / "b.zip"), "--no-progress")
    assert "Backed up" in capsys.readouterr().out
    Identity.objects.all().delete()

    monkeypatch.setattr("builtins.input", lambda question: "no")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("restore", str(tmp_path / "b.zip"), "--no-progress")
    assert Identity.objects.count() == 0

    call_command("restore", str(tmp_path / "b.zip"), "--yes", "--no-progress")
    assert "Restored" in capsys.readouterr().out
    assert every_row() == before

    with pytest.raises(CommandError, match="No such backup file"):
        call_command("restore", str(tmp_path / "missing.zip"), "--yes")


def test_restoring_drops_the_old_snapshot(
    community: Workspace, tmp_path: Path, settings: Any
) -> None:
    from qunyun.analytics.selectors import workspace_kpis

    assert workspace_kpis(community)["messages_total"] == 3
    do_backup(tmp_path / "b.zip")
    assert Path(settings.SNAPSHOT_DIR).exists()
    do_restore(tmp_path / "b.zip")
    assert not Path(settings.SNAPSHOT_DIR).exists()
    assert workspace_kpis(community)["messages_total"] == 3

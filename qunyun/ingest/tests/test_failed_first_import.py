"""A failed first import into a new workspace leaves nothing behind but an audit event;
an empty JSONL file is an error like every other empty export."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.audit.models import AuditEvent
from qunyun.conftest import channel, message, utc
from qunyun.ingest.models import ImportRun
from qunyun.ingest.pipeline import do_import_records
from qunyun.workspaces.models import Workspace

SUPERGROUP = (
    Path(__file__).resolve().parents[1]
    / "platforms" / "telegram" / "tests" / "fixtures" / "supergroup.json"
)  # fmt: skip


def truncated(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.json"
    content = SUPERGROUP.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    return path


def test_a_failed_first_import_creates_no_workspace(db: None, tmp_path: Path) -> None:
    path = truncated(tmp_path)

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import", "telegram", str(path), "--workspace", "brand-new", "--no-progress")

    assert not Workspace.objects.filter(slug="brand-new").exists()
    assert not ImportRun.objects.exists()
    failed = AuditEvent.objects.get(action="import_failed")
    assert failed.workspace is None
    assert failed.target == "workspace:brand-new"
    assert failed.params["format"] == "telegram" and failed.params["file"] == str(path)
    assert "truncated" in failed.params["message"] or "line" in failed.params["message"]


def test_after_the_failure_a_good_import_creates_the_workspace(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command(
            "import", "telegram", str(truncated(tmp_path)), "--workspace", "brand-new",
            "--no-progress",
        )  # fmt: skip

    call_command("import", "telegram", str(SUPERGROUP), "--workspace", "brand-new", "--no-progress")

    workspace = Workspace.objects.get(slug="brand-new")
    assert ImportRun.objects.get(workspace=workspace).status == ImportRun.Status.SUCCEEDED
    assert AuditEvent.objects.filter(action="workspace_created", workspace=workspace).count() == 1


def test_a_failed_import_into_an_existing_workspace_keeps_its_failed_run(
    workspace: Workspace, tmp_path: Path
) -> None:
    do_import_records(
        workspace, [channel(), message("1", utc(2026, 3, 1), "u1")], file_name="a", format_name="x"
    )

    with pytest.raises(CommandError):
        call_command(
            "import", "telegram", str(truncated(tmp_path)), "--workspace", "acme", "--no-progress"
        )

    assert ImportRun.objects.filter(workspace=workspace, status="failed").count() == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "The file is empty."), (b"\n  \n\r\n", "The file holds only blank lines.")],
)
def test_an_empty_jsonl_file_is_an_error(
    db: None, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)

    with pytest.raises(CommandError) as caught:
        call_command("import", "jsonl", str(path), "--workspace", "new", "--no-progress")

    assert str(caught.value).endswith(f"file {path}: {problem}")
    assert not Workspace.objects.filter(slug="new").exists()

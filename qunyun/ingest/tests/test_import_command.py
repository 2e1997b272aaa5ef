"""``qunyun import`` and ``qunyun kpis`` as an operator runs them in a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from qunyun.activity.models import Activity
from qunyun.ingest.models import ImportRun
from qunyun.workspaces.models import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "platforms" / "telegram" / "tests" / "fixtures"


def jsonl_lines() -> list[dict]:
    return [
        {
            "external_id": "1",
            "kind": "join",
            "occurred_at": "2026-03-01T09:00:00+08:00",
            "member_id": "u1",
            "member_name": "张伟",
            "channel": "g1",
            "channel_name": "用户群",
        },
        {
            "external_id": "2",
            "kind": "message",
            "occurred_at": "2026-03-01T10:00:00+08:00",
            "member_id": "u1",
            "member_name": "张伟",
            "channel": "g1",
            "text": "大家好",
        },
        {
            "external_id": "3",
            "kind": "reply",
            "occurred_at": "2026-03-01T10:05:00+08:00",
            "member_id": "u2",
            "member_name": "Lily",
            "channel": "g1",
            "reply_to": "2",
            "text": "欢迎!",
        },
        {
            "external_id": "4",
            "kind": "reaction",
            "occurred_at": "2026-03-02T10:05:00+08:00",
            "member_id": "u1",
            "channel": "g1",
            "reply_to": "3",
            "attrs": {"emoji": "👍"},
        },
    ]


@pytest.fixture
def jsonl_file(tmp_path: Path) -> Path:
    path = tmp_path / "activities.jsonl"
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in jsonl_lines()) + "\n",
        encoding="utf-8",
    )
    return path


def run_cli(*args: str, data_dir: Path, language: str = "en") -> subprocess.CompletedProcess:
    """Run the real `qunyun` command on its own SQLite database in ``data_dir``."""
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": str(data_dir),
        "QUNYUN_LANGUAGE": language,
        "QUNYUN_DATABASE_URL": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "qunyun", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_import_creates_the_workspace_and_a_second_run_adds_nothing(db, jsonl_file, capsys):
    with translation.override("en"):
        call_command("import", "jsonl", str(jsonl_file), workspace="acme", no_progress=True)
        first = capsys.readouterr().out
        call_command("import", "jsonl", str(jsonl_file), workspace="acme", no_progress=True)
        second = capsys.readouterr().out

    assert Workspace.objects.filter(slug="acme").exists()
    assert Activity.objects.count() == 4
    assert "4 records read, 4 activities added, 0 already present, 2 new members" in first
    assert [r.activities_added for r in ImportRun.objects.order_by("id")] == [4, 0]
    assert "4 records read, 0 activities added, 4 already present, 0 new members" in second


def test_kpis_prints_one_json_object(db, jsonl_file, capsys):
    call_command("import", "jsonl", str(jsonl_file), workspace="acme", no_progress=True)
    capsys.readouterr()

    call_command("kpis", workspace="acme", json=True)
    kpis = json.loads(capsys.readouterr().out)

    assert kpis["members_total"] == 2
    assert kpis["messages_total"] == 2
    assert kpis["active_members_1d"] == 1
    assert kpis["active_members_7d"] == 2
    assert kpis["series"]["daily"][0] == {
        "date": "2026-03-01",
        "active_members": 2,
        "new_members": 2,
        "messages": 2,
        "wau": 2,
        "mau": 2,
    }


@pytest.fixture
def cli_data_dir(tmp_path: Path) -> Path:
    """A data dir of its own with a migrated database, for the real `qunyun` process."""
    data_dir = tmp_path / "cli"
    result = run_cli("migrate", "-v0", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_a_malformed_file_exits_non_zero_naming_the_place_and_writes_nothing(
    cli_data_dir, tmp_path
):
    bad = tmp_path / "bad.jsonl"
    good = json.dumps(jsonl_lines()[0], ensure_ascii=False)
    bad.write_text(good + "\n" + good.replace('"2026-03-01T09:00:00+08:00"', '"yesterday"') + "\n")

    result = run_cli("import", "jsonl", str(bad), "--workspace", "acme", data_dir=cli_data_dir)
    count = run_cli(
        "shell",
        "-v",
        "0",
        "-c",
        "from qunyun.activity.models import Activity; print(Activity.objects.count())",
        data_dir=cli_data_dir,
    )

    assert result.returncode != 0
    assert "bad.jsonl" in result.stderr
    assert "line 2" in result.stderr
    assert "occurred_at" in result.stderr
    assert "nothing was written" in result.stderr
    assert count.stdout.strip() == "0"


def test_the_error_is_in_chinese_for_a_chinese_operator(cli_data_dir, tmp_path):
    bad = tmp_path / "坏.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")

    result = run_cli(
        "import",
        "jsonl",
        str(bad),
        "--workspace",
        "acme",
        data_dir=cli_data_dir,
        language="zh-hans",
    )

    assert result.returncode != 0
    assert "第 1 行" in result.stderr
    assert "未写入任何数据" in result.stderr


def test_telegram_export_imports_from_the_command_line(cli_data_dir):
    export = next(p for p in sorted(FIXTURES.glob("*.json")))

    result = run_cli("import", "telegram", str(export), "--workspace", "tg", data_dir=cli_data_dir)
    again = run_cli("import", "telegram", str(export), "--workspace", "tg", data_dir=cli_data_dir)
    kpis = run_cli("kpis", "--workspace", "tg", "--json", data_dir=cli_data_dir)

    assert result.returncode == 0, result.stderr
    assert "activities added" in result.stdout
    assert "0 activities added" in again.stdout
    assert json.loads(kpis.stdout)["messages_total"] > 0

"""First runs cannot trip: a command on a never-migrated data dir says what to run, and
a backup restored onto a new machine's bare data dir gives the same figures."""

from __future__ import annotations

import json
from pathlib import Path

from qunyun.ingest.tests.test_import_command import run_cli

SAMPLE = Path(__file__).parents[2] / "ingest/platforms/generic/tests/fixtures/sample.jsonl"


def test_commands_on_a_bare_data_dir_say_run_migrate_in_one_line(tmp_path: Path) -> None:
    for command in (
        ["kpis", "--workspace", "acme"],
        ["import", "jsonl", str(SAMPLE), "--workspace", "acme"],
        ["schedule", "list"],
        ["createsuperuser", "--username", "root", "--email", "r@example.com", "--no-input"],
    ):
        done = run_cli(*command, data_dir=tmp_path / "bare")
        assert done.returncode == 1, command
        assert done.stderr.strip().splitlines() == [
            f"The database ({tmp_path / 'bare' / 'qunyun.sqlite3'}) is not set up yet (or is "
            "older than this version): run “qunyun migrate” first."
        ], command
    zh = run_cli("kpis", "--workspace", "acme", data_dir=tmp_path / "bare", language="zh-hans")
    assert "qunyun migrate" in zh.stderr and "Traceback" not in zh.stderr


def test_a_backup_restored_onto_a_bare_data_dir_gives_the_same_kpis(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "new-machine"
    assert run_cli("migrate", "-v", "0", data_dir=source).returncode == 0
    imported = run_cli("import", "jsonl", str(SAMPLE), "--workspace", "acme", data_dir=source)
    assert imported.returncode == 0, imported.stderr
    kpis = run_cli(
        "kpis", "--workspace", "acme", "--json", "--as-of", "2024-10-15", data_dir=source
    )
    assert kpis.returncode == 0, kpis.stderr
    backup = tmp_path / "acme.zip"
    assert run_cli("backup", str(backup), "--no-progress", data_dir=source).returncode == 0

    restored = run_cli("restore", str(backup), "--yes", "--no-progress", data_dir=target)
    assert restored.returncode == 0, restored.stderr
    again = run_cli(
        "kpis", "--workspace", "acme", "--json", "--as-of", "2024-10-15", data_dir=target
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(kpis.stdout)
    assert json.loads(kpis.stdout)["members_total"] == 4

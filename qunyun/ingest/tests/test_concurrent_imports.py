"""Imports under stress, with real processes: killed at random moments, and several at
once into one workspace. Afterwards every activity is there exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qunyun.ingest.tests.test_crash import count_activities, no_process_reading
from qunyun.ingest.tests.test_import_command import run_cli

#: Real processes on their own SQLite file: once per `make test` (see qunyun/conftest.py).
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 60_000


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.import_bench import write_export

    folder = tmp_path_factory.mktemp("exports")
    paths = []
    for n in range(2):
        path = folder / f"chat-{n}" / "result.json"
        path.parent.mkdir()
        write_export(path, MESSAGES)
        if n:  # another chat: the same messages under another chat id
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('"id": 1234567,', '"id": 7654321,', 1), encoding="utf-8")
        paths.append(path)
    return paths


def environment(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "QUNYUN_DATA_DIR": str(data_dir),
        "QUNYUN_DATABASE_URL": "",
        "QUNYUN_LANGUAGE": "en",
    }


def start_import(data_dir: Path, path: Path, workspace: str = "w") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "qunyun", "import", "telegram", str(path), "--workspace",
         workspace, "--no-progress"],
        env=environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def test_an_import_killed_at_random_moments_ends_complete_and_once(
    tmp_path: Path, exports: list[Path]
) -> None:
    data_dir = tmp_path / "data"
    assert run_cli("migrate", "-v", "0", data_dir=data_dir).returncode == 0
    export = exports[0]
    started = time.monotonic()
    reference = run_cli("import", "telegram", str(export), "--workspace", "ref", data_dir=data_dir)
    assert reference.returncode == 0, reference.stderr
    duration = time.monotonic() - started
    complete = count_activities(data_dir)
    assert complete > MESSAGES

    rng = random.Random(20261125)
    seen = []
    for _attempt in range(4):
        process = start_import(data_dir, export)
        time.sleep(rng.uniform(0.2, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert no_process_reading(export)
        # Nothing, or all of it (when the kill came after the commit): never a part.
        in_w = count_activities(data_dir) - complete
        assert in_w in (0, complete), f"a killed import left {in_w} of {complete} rows"
        seen.append(in_w)
    finished = run_cli("import", "telegram", str(export), "--workspace", "w", data_dir=data_dir)
    assert finished.returncode == 0, finished.stderr
    assert count_activities(data_dir) == 2 * complete
    again = run_cli("import", "telegram", str(export), "--workspace", "w", data_dir=data_dir)
    assert "0 activities added" in again.stdout
    assert count_activities(data_dir) == 2 * complete


def test_concurrent_imports_into_one_workspace_all_land_once(
    tmp_path: Path, exports: list[Path]
) -> None:
    data_dir = tmp_path / "data"
    assert run_cli("migrate", "-v", "0", data_dir=data_dir).returncode == 0
    # Two different chats and the same chat twice, all at the same time.
    processes = [start_import(data_dir, p) for p in (exports[0], exports[1], exports[0])]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
    alone = tmp_path / "alone"
    assert run_cli("migrate", "-v", "0", data_dir=alone).returncode == 0
    for path in exports:
        assert (
            run_cli("import", "telegram", str(path), "--workspace", "w", data_dir=alone).returncode
            == 0
        )
    assert count_activities(data_dir) == count_activities(alone)
    check = run_cli(
        "shell", "-v", "0", "-c",
        "from django.db.models import Count; from qunyun.activity.models import Activity; "
        "print(Activity.objects.values('source', 'channel', 'external_id')"
        ".annotate(n=Count('id')).filter(n__gt=1).count())",
        data_dir=data_dir,
    )  # fmt: skip
    assert check.stdout.strip() == "0"

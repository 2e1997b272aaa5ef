"""An import killed half-way leaves nothing behind; running it again completes it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qunyun.ingest.tests.test_import_command import run_cli

#: Real processes on their own SQLite file: once per `make test` (see qunyun/conftest.py).
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def big_export(tmp_path: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from benchmarks.import_bench import write_export

    path = tmp_path / "result.json"
    write_export(path, 200_000)
    return path


def no_process_reading(path: Path, wait: float = 10.0) -> bool:
    """True once no process has ``path`` on its command line (forked parsers included)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", str(path)], capture_output=True, text=True)
        if not found.stdout.strip():
            return True
        time.sleep(0.1)
    return False


def count_activities(data_dir: Path) -> int:
    result = run_cli(
        "shell",
        "-v",
        "0",
        "-c",
        "from qunyun.activity.models import Activity; print(Activity.objects.count())",
        data_dir=data_dir,
    )
    return int(result.stdout.strip())


def test_a_killed_import_writes_nothing_and_a_rerun_completes_it(tmp_path, big_export):
    data_dir = tmp_path / "data"
    assert run_cli("migrate", "-v", "0", data_dir=data_dir).returncode == 0
    env = {
        **os.environ,
        "QUNYUN_DATA_DIR": str(data_dir),
        "QUNYUN_DATABASE_URL": "",
        "QUNYUN_LANGUAGE": "en",
        # A small page cache, so that the open transaction spills into the write-ahead
        # log while it writes: that growing log shows the import is killed mid-write.
        "QUNYUN_IMPORT_CACHE_MIB": "2",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "qunyun", "import", "telegram", str(big_export), "--workspace", "w"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Kill it once it is writing: the database's write-ahead log grows.
    wal = data_dir / "qunyun.sqlite3-wal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 4 * 2**20:
            break
        time.sleep(0.05)
    written_before_kill = wal.stat().st_size
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    assert process.returncode == -signal.SIGKILL  # killed mid-way, not finished
    assert no_process_reading(big_export), "the parser process outlived its importer"
    assert written_before_kill > 4 * 2**20
    assert count_activities(data_dir) == 0

    rerun = run_cli("import", "telegram", str(big_export), "--workspace", "w", data_dir=data_dir)
    again = run_cli("import", "telegram", str(big_export), "--workspace", "w", data_dir=data_dir)

    assert rerun.returncode == 0, rerun.stderr
    total = count_activities(data_dir)
    assert total > 200_000  # messages plus reactions
    assert "0 activities added" in again.stdout
    assert count_activities(data_dir) == total

"""A backup taken while another process keeps writing holds one consistent state.

Real processes on a real database file (and on PostgreSQL when the suite runs there): a
writer commits audit events in transactions of exactly BATCH rows while ``qunyun backup``
runs; the backup must hold whole transactions only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from qunyun.testing.processes import database_env as fresh_database
from qunyun.testing.processes import qunyun

BATCH = 100

WRITER = f"""
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qunyun.settings")
django.setup()
from pathlib import Path
from django.db import transaction
from qunyun.audit.models import AuditEvent
stop = Path(sys.argv[1])
batch = 0
while not stop.exists():
    with transaction.atomic():
        AuditEvent.objects.bulk_create(
            [AuditEvent(action="tick", params={{"batch": batch}}) for _ in range({BATCH})]
        )
    batch += 1
    if batch == 3:
        Path(sys.argv[2]).touch()
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_database(request.param, tmp_path / "data", "qunyun_backup") as env:
        yield env


def test_a_backup_while_writing_holds_whole_transactions_only(
    database_env: dict[str, str], tmp_path: Path
) -> None:
    qunyun(database_env, "migrate", "--verbosity", "0")
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop), str(ready)], env=database_env
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None, "the writer died"
            assert time.monotonic() < deadline, "the writer never got going"
            time.sleep(0.05)
        result = qunyun(database_env, "backup", str(tmp_path / "b.zip"), "--no-progress")
        assert "Backed up" in result.stdout
        assert writer.poll() is None, "the backup must not stop the writer"
    finally:
        stop.touch()
        writer.wait(timeout=60)

    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        info = manifest["tables"]["audit_auditevent"]
        params_at = info["columns"].index("params")
        lines = archive.read("tables/audit_auditevent.jsonl").splitlines()
    batches = Counter(json.loads(line)[params_at]["batch"] for line in lines)
    assert len(batches) >= 3
    assert set(batches.values()) == {BATCH}, "a transaction was cut in two"
    assert sorted(batches) == list(range(len(batches))), "a committed batch is missing"
    assert info["rows"] == len(lines)

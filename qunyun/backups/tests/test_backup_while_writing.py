"""A backup taken while another process keeps writing holds one consistent state.

Real processes on a real database file (and on PostgreSQL when the suite runs there): a
writer commits audit events in transactions of exactly BATCH rows while ``qunyun backup``
runs; the backup must hold whole transactions only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNYUN_")}
    env |= {"QUNYUN_DATA_DIR": str(tmp_path / "data"), "QUNYUN_LANGUAGE": "en"}
    if request.param == "sqlite":
        yield env
        return
    server = os.environ.get("QUNYUN_TEST_DATABASE_URL")
    if not server:
        pytest.skip("the PostgreSQL run of the suite covers this (QUNYUN_TEST_DATABASE_URL)")
    name = f"qunyun_backup_{os.getpid()}"
    admin = server.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    env["QUNYUN_DATABASE_URL"] = server.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def qunyun(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qunyun", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


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

"""Tests that start real Qunyun processes (workers, schedulers, backups) on a database of
their own: a fresh SQLite file in the test's data dir, or a fresh PostgreSQL database
when the suite runs there (``QUNYUN_TEST_DATABASE_URL``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest


@contextmanager
def database_env(kind: str, data_dir: Path, name: str) -> Iterator[dict[str, str]]:
    """The environment for ``python -m qunyun`` on a new, empty database of ``kind``
    (``sqlite`` or ``postgresql``; the latter skips unless the suite runs on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNYUN_")}
    env |= {"QUNYUN_DATA_DIR": str(data_dir), "QUNYUN_LANGUAGE": "en"}
    if kind == "sqlite":
        yield env
        return
    server = os.environ.get("QUNYUN_TEST_DATABASE_URL")
    if not server:
        pytest.skip("the PostgreSQL run of the suite covers this (QUNYUN_TEST_DATABASE_URL)")
    name = f"{name}_{os.getpid()}"
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


def qunyun(env: dict[str, str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m qunyun ARGS`` to its end; fail the test if it fails."""
    return subprocess.run(
        [sys.executable, "-m", "qunyun", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )

"""Analytics test set-up: one Spark session for the whole test run, stopped at its end."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from qunyun.activity.snapshot import do_refresh_snapshot, snapshot_dir
from qunyun.analytics import backend
from qunyun.analytics.tests.demo import DEMO_PLAN
from qunyun.demo.generator import generate
from qunyun.ingest.pipeline import do_import_records
from qunyun.workspaces.models import Workspace

SMALL_DATA_CONF = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
}


def stop_spark() -> None:
    """Stop the Spark session and its JVM, if one was started, so none outlives the run."""
    if not backend._spark.cache_info().currsize:
        return
    from pyspark import SparkContext

    backend._spark().disconnect()  # stops the session and its context
    backend._spark.cache_clear()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:  # the JVM exits when its stdin closes
            proc.stdin.close()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()  # a busy JVM may not notice: it holds nothing we need
                proc.wait(timeout=15)
        SparkContext._gateway = None
        SparkContext._jvm = None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The Spark backend's Ibis connection (``local[2]``), started once per run.

    Starting Spark's JVM takes seconds, so every Spark test shares this one; it is
    stopped, JVM included, when the run ends (no process outlives the suite).
    """
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    # Settings for many small queries on small data (each compute_kpis is ~30 queries):
    # no code generation, one shuffle partition, no adaptive re-planning. About 40% less
    # time here; a cluster over big data wants Spark's defaults (docs/scale-out.md).
    # The session is made once and kept (backend._spark is cached), so the settings only
    # need to hold while it starts.
    try:
        with override_settings(SPARK_CONF=SMALL_DATA_CONF):
            con = backend.connect("spark")
        yield con
    finally:
        stop_spark()


@pytest.fixture(scope="session")
def demo_snapshot(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[Path]:
    """The demo community's snapshot, built once per run through the real import and
    snapshot code.

    The database rows are rolled back at once; only the Parquet folder is kept.
    """
    base = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(DATA_DIR=base, SNAPSHOT_DIR=base / "build"),
        transaction.atomic(),
    ):
        workspace = Workspace.objects.create(
            slug="parity", name="Parity", time_zone=DEMO_PLAN.time_zone
        )
        do_import_records(workspace, generate(DEMO_PLAN), file_name="demo", format_name="demo")
        do_refresh_snapshot(workspace)
        shutil.copytree(snapshot_dir(workspace), base / "snapshot")
        transaction.set_rollback(True)
    yield base / "snapshot"
    shutil.rmtree(base, ignore_errors=True)

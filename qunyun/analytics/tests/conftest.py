"""Analytics test set-up: one Spark session for the whole test run, stopped at its end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from qunyun.analytics import backend

SMALL_DATA_CONF = (
    "spark.sql.codegen.wholeStage=false;"
    "spark.sql.shuffle.partitions=1;"
    "spark.sql.adaptive.enabled=false"
)


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
    previous = os.environ.get("QUNYUN_SPARK_CONF")
    os.environ["QUNYUN_SPARK_CONF"] = SMALL_DATA_CONF
    try:
        yield backend.connect("spark")
    finally:
        backend.stop_spark()
        if previous is None:
            os.environ.pop("QUNYUN_SPARK_CONF", None)
        else:
            os.environ["QUNYUN_SPARK_CONF"] = previous

"""The one module that knows which engine runs analytics (DESIGN.md §3).

``QUNYUN_ANALYTICS_BACKEND`` chooses DuckDB in-process (default) or Spark; both read the
same Parquet snapshot through Ibis, so the metric functions never change.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

import ibis
from ibis.expr.types import Table

_lock = threading.Lock()


@cache
def _duckdb() -> Any:
    threads = os.environ.get("QUNYUN_ANALYTICS_THREADS", "2")
    return ibis.duckdb.connect(threads=int(threads))


@cache
def _spark() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master(os.environ.get("QUNYUN_SPARK_MASTER", "local[2]"))
        .appName("qunyun")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def connect(backend: str | None = None) -> Any:
    """An Ibis connection to the configured engine (one per process)."""
    from django.conf import settings

    name = backend or settings.ANALYTICS_BACKEND
    return _spark() if name == "spark" else _duckdb()


def read_parquet(con: Any, path: Path) -> Table:
    """A table over every Parquet file at ``path`` (a file, or a folder of parts)."""
    target = str(path / "*.parquet") if path.is_dir() else str(path)
    with _lock:  # DuckDB's connection is shared; registering views is not thread-safe
        return con.read_parquet(target)


def execute(expr: Any) -> Any:
    """Run an Ibis expression and return a pandas object."""
    with _lock:
        return expr.execute()


def to_pyarrow(expr: Any) -> Any:
    with _lock:
        return expr.to_pyarrow()

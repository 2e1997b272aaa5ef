"""The one module that knows which engine runs analytics (DESIGN.md §3).

``QUNYUN_ANALYTICS_BACKEND`` chooses DuckDB in-process (default) or Spark; both read the
same Parquet snapshot through Ibis, so the metric functions never change.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import Table

_lock = threading.Lock()
#: The engine of the current thread when it is one of :func:`side_by_side`'s workers.
_worker = threading.local()
#: How many sections of one computation run at once on DuckDB (each with its threads).
SIDE_BY_SIDE = 2


@cache
def _duckdb() -> Any:
    from django.conf import settings

    # Spills of big queries go under the data dir, not into whatever folder we run from.
    spill = Path(settings.DATA_DIR) / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    return ibis.duckdb.connect(threads=settings.ANALYTICS_THREADS, temp_directory=str(spill))


@cache
def _spark() -> Any:
    """PySpark through Ibis; ``settings.SPARK_MASTER`` (default ``local[2]``) picks the cluster.

    Extra ``spark.*`` settings come from ``settings.SPARK_CONF`` (``QUNYUN_SPARK_CONF``,
    "key=value;key=value"), for example executor memory or the driver's ports on a
    cluster (docs/scale-out.md).
    """
    from django.conf import settings
    from pyspark.sql import SparkSession

    # Read by Spark's own launch scripts from the environment, not from the builder: the
    # driver binds to loopback unless the operator set another address (docs/scale-out.md).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(settings.SPARK_MASTER)
        .appName("qunyun")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in settings.SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(settings.SPARK_LOG_LEVEL)
    return ibis.pyspark.connect(session)


def connect(backend: str | None = None) -> Any:
    """An Ibis connection to the configured engine (one per process)."""
    from django.conf import settings

    name = backend or settings.ANALYTICS_BACKEND
    return _spark() if name == "spark" else _duckdb()


def _is_spark(con: Any) -> bool:
    return getattr(con, "name", "") == "pyspark"


def read_parquet(con: Any, path: Path) -> Table:
    """A table over every Parquet file at ``path`` (a file, or a folder of parts)."""
    target = str(path / "*.parquet") if path.is_dir() else str(path)
    if _is_spark(con):  # a file URI: a cluster's default file system may be HDFS
        with _lock:
            return con.read_parquet(f"file://{Path(target).absolute()}")
    # A view of the database, not Ibis's connection-local one, so that the workers of
    # side_by_side (other connections to the same database) see it too; one per path (the
    # glob is expanded by each query), so that views do not pile up.
    name = "qunyun_parquet_" + hashlib.sha1(target.encode(), usedforsecurity=False).hexdigest()
    source = "'" + target.replace("'", "''") + "'"
    with _lock:  # DuckDB's connection is shared; registering views is not thread-safe
        con.raw_sql(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM read_parquet({source})')
        return con.table(name)


@contextmanager
def in_memory(con: Any, table: Table) -> Iterator[Table]:
    """``table`` held in the engine's memory for the ``with`` block.

    On DuckDB a table of the in-process database, dropped when the block ends (spilling
    to the data dir's tmp folder when big), so that the many queries of one dashboard
    decode the Parquet files once, and the workers of :func:`side_by_side` read it too;
    on Spark the table as it is (Spark reads in parallel across the cluster).
    """
    if _is_spark(con):
        yield table
        return
    name = ibis.util.gen_name("qunyun_held")
    with _lock:
        held = con.create_table(name, table)
    try:
        yield held
    finally:
        with _lock:
            con.drop_table(name, force=True)


def side_by_side(con: Any, jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run ``jobs`` (name → a function of no arguments) and return name → its result.

    On DuckDB, :data:`SIDE_BY_SIDE` jobs at a time, each worker thread on its own
    connection to the same in-process database (its queries do not wait for the other's;
    DuckDB runs them in parallel, and one worker's Python runs while the other's query
    does): the jobs read tables made by :func:`read_parquet` and :func:`in_memory`. Give
    the longest jobs first. On Spark, one after the other (Spark spreads each query over
    the cluster). The first error of a job is raised once all have ended.
    """
    if _is_spark(con) or SIDE_BY_SIDE < 2 or len(jobs) < 2:
        return {name: job() for name, job in jobs.items()}
    engines: list[Any] = []

    def run(job: Callable[[], Any]) -> Any:
        if getattr(_worker, "engine", None) is None:
            with _lock:
                cursor = con.con.cursor()
            _worker.engine = ibis.duckdb.from_connection(cursor)
            engines.append(_worker.engine)
        return job()

    try:
        with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE) as pool:
            futures = {name: pool.submit(run, job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}
    finally:
        for engine in engines:
            engine.con.close()


def execute(expr: Any) -> Any:
    """Run an Ibis expression and return a pandas object."""
    engine = getattr(_worker, "engine", None)
    if engine is not None:
        return engine.execute(expr)
    with _lock:
        return expr.execute()


def execute_count(expr: Any) -> int:
    """Run an Ibis count (or sum) and return it as an int; 0 when there is nothing to count."""
    value = execute(expr)
    return 0 if value is None or pd.isna(value) else int(value)


def to_pyarrow(expr: Any) -> Any:
    engine = getattr(_worker, "engine", None)
    if engine is not None:
        return engine.to_pyarrow(expr)
    with _lock:
        return expr.to_pyarrow()


def execute_rows(expr: Any) -> pd.DataFrame:
    """Run a table expression with many rows and return a pandas DataFrame, through Arrow.

    Ibis's ``execute`` turns every column that holds a null into Python objects one value
    at a time (113k questions with their first response, some never answered: 0.3 s of
    the dashboard); Arrow's own conversion keeps them vectorised (nulls become NaN/NaT).
    """
    return to_pyarrow(expr).to_pandas()

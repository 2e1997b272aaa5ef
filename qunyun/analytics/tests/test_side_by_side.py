"""The dashboard's sections run two at a time on DuckDB (backend.side_by_side): the same
results as one after the other, computations at once in threads do not disturb each
other, nothing is left behind, and a failing section's error comes out."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pytest

from qunyun.analytics import backend
from qunyun.analytics.kpis import compute_kpis
from qunyun.analytics.tests.demo import DEMO_PLAN, channels

pytestmark = pytest.mark.django_db

# (as_of, period, channel index or None)
VIEWS = [
    (None, "week", None),
    (DEMO_PLAN.end.replace(day=1), "month", 0),
    (None, "day", 1),
]


def options(snapshot: Path, as_of: Any, period: str, channel: int | None) -> dict[str, Any]:
    channel_id = None if channel is None else channels(snapshot)[channel]
    return {"as_of": as_of, "period": period, "channel_id": channel_id, "backend": "duckdb"}


def held_tables() -> list[str]:
    con = backend.connect("duckdb")
    rows = con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    return [name for (name,) in rows if name.startswith("qunyun_held")]


def test_sections_side_by_side_give_what_one_after_the_other_gives(
    demo_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for view in VIEWS:
        kwargs = options(demo_snapshot, *view)
        together = compute_kpis(demo_snapshot, **kwargs)
        monkeypatch.setattr(backend, "SIDE_BY_SIDE", 1)
        alone = compute_kpis(demo_snapshot, **kwargs)
        monkeypatch.setattr(backend, "SIDE_BY_SIDE", 2)

        assert together["messages_total"] > 0
        assert together == alone
    assert held_tables() == []


def test_dashboards_computed_at_once_in_threads_agree_and_leave_nothing(
    demo_snapshot: Path,
) -> None:
    expected = [compute_kpis(demo_snapshot, **options(demo_snapshot, *v)) for v in VIEWS]

    with ThreadPoolExecutor(max_workers=len(VIEWS) * 2) as pool:
        futures = [
            pool.submit(compute_kpis, demo_snapshot, **options(demo_snapshot, *v))
            for v in VIEWS * 2
        ]
        got = [f.result() for f in futures]

    assert got == expected * 2
    assert held_tables() == []
    # One view per Parquet path, however often the snapshot is read.
    con = backend.connect("duckdb")
    views = con.raw_sql(
        "SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'qunyun_parquet_%' "
        "AND contains(sql, ?)",
        parameters=[str(demo_snapshot)],
    ).fetchone()[0]
    assert views == 4  # member_day, members, activities, channel_hour


def test_a_failing_job_raises_after_the_others_ended_and_their_connections_close() -> None:
    con = backend.connect("duckdb")
    finished, engines = threading.Event(), []

    def slow() -> int:
        engines.append(backend._worker.engine)
        time.sleep(0.2)
        finished.set()
        return int(backend.execute(ibis.literal(41) + 1))

    def broken() -> None:
        engines.append(backend._worker.engine)
        raise ValueError("this section is broken")

    with pytest.raises(ValueError, match="this section is broken"):
        backend.side_by_side(con, {"slow": slow, "broken": broken})

    assert finished.is_set()
    assert len(engines) == 2 and engines[0] is not engines[1]
    for engine in engines:  # each worker's own connection, closed with the call
        with pytest.raises(duckdb.ConnectionException):
            engine.con.execute("SELECT 1")
    assert backend.side_by_side(con, {"a": lambda: 1, "b": lambda: 2}) == {"a": 1, "b": 2}

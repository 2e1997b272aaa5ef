"""Every KPI is the same on Spark as on DuckDB (issue [3/4] §7).

The demo community is built once per test run (``demo_snapshot`` in ``conftest.py``) and
``compute_kpis`` runs on both engines for several as-of days, periods and channels; the
WHOLE result dict must be equal, so every section added to ``compute_kpis`` is covered
without a change here.
Spark starts once per test run (the session fixture ``spark`` in ``conftest.py``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from qunyun.analytics.kpis import compute_kpis
from qunyun.analytics.tests.demo import DEMO_PLAN, channels

# demo_snapshot uses the test database: the mark makes pytest-django create it.
pytestmark = pytest.mark.django_db


def mismatches(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ, as key paths (``series.by_period[3].reply_rate``).

    Floats must agree to 1e-9 (relative) and have the same type on both sides; NaN equals
    NaN; dict keys and list lengths must match exactly.
    """
    where = path or "<root>"
    if isinstance(left, dict) and isinstance(right, dict):
        found = [f"{where}: keys only on DuckDB {sorted(set(left) - set(right))}"] * bool(
            set(left) - set(right)
        ) + [f"{where}: keys only on Spark {sorted(set(right) - set(left))}"] * bool(
            set(right) - set(left)
        )
        for key in sorted(set(left) & set(right), key=str):
            found += mismatches(left[key], right[key], f"{path}.{key}" if path else str(key))
        return found
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        if len(left) != len(right):
            return [f"{where}: {len(left)} items on DuckDB, {len(right)} on Spark"]
        found = []
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            found += mismatches(a, b, f"{path}[{i}]")
        return found
    if type(left) is not type(right):
        return [f"{where}: {left!r} ({type(left).__name__}) on DuckDB, {right!r} on Spark"]
    if isinstance(left, float):
        same = (math.isnan(left) and math.isnan(right)) or math.isclose(
            left, right, rel_tol=1e-9, abs_tol=1e-12
        )
        return [] if same else [f"{where}: {left!r} on DuckDB, {right!r} on Spark"]
    return [] if left == right else [f"{where}: {left!r} on DuckDB, {right!r} on Spark"]


def test_the_deep_compare_names_the_key_path() -> None:
    duck = {"a": 1, "s": {"by_period": [{"x": 0.5}, {"x": 0.25}]}, "d": "2026-11-24"}
    same = {"a": 1, "s": {"by_period": [{"x": 0.5}, {"x": 0.25 + 1e-15}]}, "d": "2026-11-24"}
    other = {"a": 1.0, "s": {"by_period": [{"x": 0.5}, {"x": 0.2501}]}, "e": None}

    assert mismatches(duck, same) == []
    assert mismatches(duck, other) == [
        "<root>: keys only on DuckDB ['d']",
        "<root>: keys only on Spark ['e']",
        "a: 1 (int) on DuckDB, 1.0 on Spark",
        "s.by_period[1].x: 0.25 on DuckDB, 0.2501 on Spark",
    ]
    assert mismatches([1, 2], [1]) == ["<root>: 2 items on DuckDB, 1 on Spark"]
    assert mismatches(float("nan"), float("nan")) == []


# (as_of, period, channel index or None): the default view, and a month view of one
# channel on an earlier day. Spark costs ~0.3-1 s per query whatever the data size and
# compute_kpis runs ~30 queries, so two cases keep this test near a minute; the periods
# differ only in the calendar table (plain Python), the channel filter changes every query.
CASES = [
    (None, "week", None),
    (DEMO_PLAN.end - timedelta(days=40), "month", 0),
]


@pytest.mark.parametrize(("as_of", "period", "channel"), CASES)
def test_every_kpi_is_identical_on_duckdb_and_spark(
    spark: Any, demo_snapshot: Path, as_of: date | None, period: str, channel: int | None
) -> None:
    channel_id = None if channel is None else channels(demo_snapshot)[channel]
    options = {"as_of": as_of, "period": period, "channel_id": channel_id}

    duck = compute_kpis(demo_snapshot, backend="duckdb", **options)
    on_spark = compute_kpis(demo_snapshot, backend="spark", **options)

    assert duck["messages_total"] > 0  # the demo's figures, not an empty snapshot
    assert duck["period"] == period
    assert mismatches(duck, on_spark) == []

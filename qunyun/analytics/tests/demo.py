"""The demo community the analytics tests share (its snapshot: ``demo_snapshot`` in conftest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from qunyun.demo.generator import DemoPlan

DEMO_PLAN = DemoPlan(members=400, days=120, seed=11, end=date(2026, 11, 24))


def channels(snapshot: Path) -> list[int]:
    """The snapshot's channel ids, in order."""
    return sorted(pq.read_table(snapshot / "channels.parquet")["channel_id"].to_pylist())

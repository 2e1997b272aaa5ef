"""The analytics reads: the snapshot is refreshed by one named step; the cache key only
reads the state it is given."""

from __future__ import annotations

from qunyun.activity.models import SnapshotState
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.analytics.selectors import kpis_cache_key, workspace_kpis
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records


def load(workspace, *external_ids: str) -> None:
    records = [message(e, utc(2026, 3, 2, i + 1), "a") for i, e in enumerate(external_ids)]
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def test_the_cache_key_asks_nothing_and_refreshes_nothing(
    workspace, django_assert_num_queries
) -> None:
    load(workspace, "m1")
    state = ensure_snapshot(workspace)
    load(workspace, "m2")  # the snapshot is now behind

    with django_assert_num_queries(0):
        key = kpis_cache_key(workspace, state, period="week")

    assert SnapshotState.objects.get(workspace=workspace).activity_watermark == (
        state.activity_watermark
    )
    assert key == kpis_cache_key(workspace, state, period="week")
    assert key != kpis_cache_key(workspace, state, period="day")


def test_the_key_follows_new_activity_and_the_segment_rules(workspace) -> None:
    load(workspace, "m1")
    before = kpis_cache_key(workspace, ensure_snapshot(workspace))
    load(workspace, "m2")
    after_import = kpis_cache_key(workspace, ensure_snapshot(workspace))
    workspace.analytics_settings = {"segments": {"core_min_active_days": 9}}

    after_rules = kpis_cache_key(workspace, ensure_snapshot(workspace))

    assert len({before, after_import, after_rules}) == 3
    assert workspace_kpis(workspace)["messages_total"] == 2

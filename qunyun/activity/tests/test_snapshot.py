"""The columnar snapshot: question marks and hours of the week, the rollups, the format."""

from __future__ import annotations

import pyarrow.dataset as ds

from qunyun.activity.models import SnapshotState
from qunyun.activity.snapshot import (
    SNAPSHOT_FORMAT,
    do_refresh_snapshot,
    snapshot_dir,
    snapshot_is_current,
)
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K


def load(workspace, records) -> None:
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def read(workspace, name: str) -> list[dict]:
    table = ds.dataset(snapshot_dir(workspace) / name, format="parquet").to_table()
    return table.to_pylist()


def test_activities_carry_is_question_and_the_local_hour_of_the_week_but_no_text(
    workspace,
) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 15, 16), "a", text="请问怎么导出？"),  # Mon 00:00 +8
            message("2", utc(2026, 3, 22, 15, 59), "b", text="好的"),  # Sun 23:59 +8
            message("3", utc(2026, 3, 18, 4), "a", kind=K.REPLY, reply_to="1", text="Why?"),
        ],
    )
    do_refresh_snapshot(workspace)

    rows = {r["external_id"]: r for r in read(workspace, "activities")}

    assert "text" not in rows["1"]
    assert (rows["1"]["is_question"], rows["1"]["hour_of_week"]) == (True, 0)
    assert (rows["2"]["is_question"], rows["2"]["hour_of_week"]) == (False, 167)
    assert (rows["3"]["is_question"], rows["3"]["hour_of_week"]) == (True, 2 * 24 + 12)


def test_rollups_count_questions_and_messages_per_hour_across_parts(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 16, 2), "a", text="怎么办"),
            message("2", utc(2026, 3, 16, 2, 10), "a", kind=K.REACTION, reply_to="1"),
        ],
    )
    do_refresh_snapshot(workspace)
    load(workspace, [message("3", utc(2026, 3, 16, 2, 30), "a", text="有人吗")])
    refresh = do_refresh_snapshot(workspace)

    member_day = read(workspace, "member_day")
    hours = read(workspace, "channel_hour")

    assert not refresh.rebuilt
    assert sum(r["n_questions"] for r in member_day) == 2
    assert len(hours) == 2  # one row per part, summed by readers
    assert {r["hour_of_week"] for r in hours} == {10}  # Monday 10:00 local
    assert sum(r["n_messages"] for r in hours) == 2
    assert sum(r["n_active"] for r in hours) == 3  # the reaction is active, not a message


def test_a_snapshot_of_an_older_format_is_rebuilt(workspace) -> None:
    load(workspace, [message("1", utc(2026, 3, 16, 2), "a")])
    ensure_snapshot(workspace)
    marker = snapshot_dir(workspace) / "FORMAT"
    generation = SnapshotState.objects.get(workspace=workspace).generation
    assert marker.read_text() == SNAPSHOT_FORMAT

    marker.unlink()  # as a snapshot written before the format marker existed
    assert not snapshot_is_current(workspace)
    ensure_snapshot(workspace)

    assert snapshot_is_current(workspace)
    assert SnapshotState.objects.get(workspace=workspace).generation == generation + 1
    assert [r["external_id"] for r in read(workspace, "activities")] == ["1"]

"""Retention cohorts, lifecycle and silent members on hand-built timelines (docs/segments.md).

Weeks start on Monday: 2026-03-02, 03-09, 03-16, 03-23 and 03-30 are Mondays. Times are
02:00 UTC, 10:00 the same day in Shanghai (the workspace's zone).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.backend import connect, read_parquet
from qunyun.analytics.cohorts import lifecycle_section, retention_section, silent_members
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.analytics.segments import rules_for, segments_section
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.ingest.records import ActivityRecord, PersonRef


def load(workspace, records) -> tuple[Any, Any]:
    """Import ``records`` and return the snapshot's member × day rollup and members."""
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    ensure_snapshot(workspace)
    base, con = snapshot_dir(workspace), connect()
    return read_parquet(con, base / "member_day"), read_parquet(con, base / "members.parquet")


def on(month: int, day: int, person: str, kind: K = K.MESSAGE, channel: str = "g1") -> Any:
    return message(f"{person}-{month}-{day}-{kind}", utc(2026, month, day, 2), person, kind=kind,
                   channel=channel)  # fmt: skip


# a: weeks 0, 1 and 3; b: joins in week 0, first speaks in week 2; c: week 0 only;
# d: first seen in week 1, active in weeks 1 and 2.
TIMELINE = [
    on(3, 2, "a"),
    on(3, 3, "b", K.JOIN),
    on(3, 4, "c", K.REACTION),
    on(3, 10, "a"),
    on(3, 10, "d", K.POST),
    on(3, 11, "b", K.JOIN),  # a join is not activity: b stays inactive in week 1
    on(3, 17, "d", K.REPLY),
    on(3, 18, "b"),
    on(3, 25, "a"),
]


def test_retention_cells_are_shares_of_the_cohort_active_each_week(workspace) -> None:
    md, _ = load(workspace, TIMELINE)

    retention = retention_section(md, date(2026, 3, 25), weeks=4)

    assert retention == {
        "weeks": 4,
        "cohorts": [
            # a, b, c; week 1: a (b only joined again); week 2: b; week 3: a
            {
                "cohort_start": "2026-03-02",
                "size": 3,
                "retention": [0.6667, 0.3333, 0.3333, 0.3333, None],
            },
            # d alone; week 2 (03-23) has nobody active; 03-30 is after as_of
            {"cohort_start": "2026-03-09", "size": 1, "retention": [1.0, 1.0, 0.0, None, None]},
        ],
    }


def test_retention_shows_only_the_last_weeks_cohorts_and_one_channel(workspace) -> None:
    md, _ = load(workspace, [*TIMELINE, on(3, 24, "e", channel="g2")])

    last = retention_section(md, date(2026, 3, 25), weeks=2)
    g2 = retention_section(md, date(2026, 3, 25), channel_id=_channel_id(workspace, "g2"))

    # weeks=2 shows the cohorts of 03-09, 03-16 and 03-23: 03-16 is empty
    assert [(c["cohort_start"], c["size"]) for c in last["cohorts"]] == [
        ("2026-03-09", 1),
        ("2026-03-23", 1),
    ]
    assert last["cohorts"][1]["retention"] == [1.0, None, None]
    assert g2["cohorts"] == [
        {"cohort_start": "2026-03-23", "size": 1, "retention": [1.0] + [None] * 8}
    ]


def test_retention_of_an_empty_snapshot_has_no_cohorts(workspace) -> None:
    md, _ = load(workspace, TIMELINE)

    assert retention_section(md, date(2026, 2, 1)) == {"weeks": 8, "cohorts": []}


def test_lifecycle_counts_new_returning_resurrecting_and_dormant_each_week(workspace) -> None:
    md, _ = load(workspace, TIMELINE)

    lifecycle = lifecycle_section(md, date(2026, 3, 25), period="week")

    assert lifecycle == [
        # a and c are new; b joined but did nothing, so is not new
        {"period_start": "2026-03-02", "new": 2, "returning": 0, "resurrecting": 0, "dormant": 0},
        # a returns, d is new, c goes dormant
        {"period_start": "2026-03-09", "new": 1, "returning": 1, "resurrecting": 0, "dormant": 1},
        # d returns; b, first seen in week 0, is resurrecting; a goes dormant
        {"period_start": "2026-03-16", "new": 0, "returning": 1, "resurrecting": 1, "dormant": 1},
        # a resurrects; b and d go dormant
        {"period_start": "2026-03-23", "new": 0, "returning": 0, "resurrecting": 1, "dormant": 2},
    ]


def test_lifecycle_by_day_and_by_month(workspace) -> None:
    md, _ = load(workspace, TIMELINE)

    by_month = lifecycle_section(md, date(2026, 4, 2), period="month")
    by_day = lifecycle_section(md, date(2026, 3, 5), period="day")

    assert by_month == [
        {"period_start": "2026-03-01", "new": 4, "returning": 0, "resurrecting": 0, "dormant": 0},
        {"period_start": "2026-04-01", "new": 0, "returning": 0, "resurrecting": 0, "dormant": 4},
    ]
    assert [(d["period_start"], d["new"], d["dormant"]) for d in by_day] == [
        ("2026-03-02", 1, 0),
        ("2026-03-03", 0, 1),  # a was active on 03-02 only
        ("2026-03-04", 1, 0),
        ("2026-03-05", 0, 1),
    ]


def test_silent_members_joined_never_active_still_present_and_human(workspace) -> None:
    bot = PersonRef(external_id="bot", display_name="Bot", is_bot=True)
    md, members = load(
        workspace,
        [
            on(3, 2, "a"),
            on(3, 2, "s1", K.JOIN),
            on(3, 3, "s2", K.JOIN),
            on(3, 4, "s2", K.LEAVE),  # left without a word: not counted
            on(3, 3, "s3", K.JOIN),
            on(3, 4, "s3", K.LEAVE),
            on(3, 6, "s3", K.JOIN),  # came back: counted
            on(3, 9, "late", K.JOIN),  # after as_of
            ActivityRecord(
                source="telegram",
                channel="g1",
                external_id="bot-join",
                kind=K.JOIN,
                occurred_at=utc(2026, 3, 2, 2),
                author=bot,
            ),
        ],
    )

    assert silent_members(md, members, date(2026, 3, 8)) == 2  # s1, s3
    assert silent_members(md, members, date(2026, 3, 9)) == 3  # and late
    assert silent_members(md, members, date(2026, 3, 5)) == 1  # s3 had left by then
    # compute_kpis takes the figure from the "silent" segment: the same members, whatever
    # the segment rules (the rules only move the active members between segments).
    strict = rules_for({"new_days": 60, "churned_inactive_days": 1, "active_min_days": 1})
    for as_of in (date(2026, 3, 5), date(2026, 3, 8), date(2026, 3, 9)):
        for rules in (None, strict):
            silent = segments_section(md, members, as_of, rules)["silent"]
            assert silent == silent_members(md, members, as_of)


def _channel_id(workspace, external_id: str) -> int:
    from qunyun.activity.models import Channel

    return Channel.objects.get(workspace=workspace, external_id=external_id).pk


def test_spark_gives_the_same_cohorts_as_duckdb(workspace, spark) -> None:
    md, members = load(workspace, TIMELINE)
    base = snapshot_dir(workspace)
    spark_md = read_parquet(spark, base / "member_day")
    spark_members = read_parquet(spark, base / "members.parquet")
    as_of = date(2026, 3, 25)

    assert retention_section(spark_md, as_of, weeks=4) == retention_section(md, as_of, weeks=4)
    for period in ("day", "week", "month"):
        assert lifecycle_section(spark_md, as_of, period) == lifecycle_section(md, as_of, period)
    assert silent_members(spark_md, spark_members, as_of) == silent_members(md, members, as_of)

"""The KPI suite on small hand-built communities with hand-computed answers (docs/metrics.md).

Growth, engagement, the period series, the heatmap, top contributors and the channel
filter. The workspace is in Asia/Shanghai (UTC+8): 02:00 UTC is 10:00 local, same day.
"""

from __future__ import annotations

from datetime import date

from qunyun.activity.models import Channel
from qunyun.activity.snapshot import do_refresh_snapshot
from qunyun.analytics.selectors import workspace_kpis
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.ingest.records import ActivityRecord, PersonRef


def load(workspace, records) -> None:
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def bot_message(external_id: str, when, *, channel: str = "g1") -> ActivityRecord:
    return ActivityRecord(
        source="telegram",
        channel=channel,
        external_id=external_id,
        kind=K.MESSAGE,
        occurred_at=when,
        author=PersonRef(external_id="bot", display_name="Bot", is_bot=True),
        text="Daily digest",
    )


def community(workspace) -> None:
    """g joins in February; weeks of March bring joins, leaves and a rejoin.

    Members in at the end: week of 03-02: g, a, b, c; week of 03-09: g, a, c, d (b left,
    e joined and left inside the week); week of 03-16 (to as_of 03-20): g, b, c, d, f
    (b back, a left, f first seen).
    """
    load(
        workspace,
        [
            message("g1", utc(2026, 2, 20, 2), "g"),
            message("ja", utc(2026, 3, 2, 2), "a", kind=K.JOIN),
            message("jb", utc(2026, 3, 3, 2), "b", kind=K.JOIN),
            message("a1", utc(2026, 3, 4, 2), "a"),
            message("b1", utc(2026, 3, 4, 3), "b"),
            message("c0", utc(2026, 3, 4, 4), "c"),
            message("jd", utc(2026, 3, 10, 2), "d", kind=K.JOIN),
            message("lb", utc(2026, 3, 11, 2), "b", kind=K.LEAVE),
            message("je", utc(2026, 3, 12, 2), "e", kind=K.JOIN),
            message("le", utc(2026, 3, 13, 2), "e", kind=K.LEAVE),
            # week of 03-16: c writes 3, f and b reply, d reacts
            message("c1", utc(2026, 3, 16, 2), "c"),
            message("c2", utc(2026, 3, 16, 3), "c"),
            message("c3", utc(2026, 3, 16, 4), "c"),
            message("f1", utc(2026, 3, 16, 5), "f", kind=K.REPLY, reply_to="c1"),
            message("jb2", utc(2026, 3, 17, 2), "b", kind=K.JOIN),
            message("b2", utc(2026, 3, 17, 3), "b", kind=K.REPLY, reply_to="c2"),
            message("la", utc(2026, 3, 18, 2), "a", kind=K.LEAVE),
            message("d1", utc(2026, 3, 19, 2), "d", kind=K.REACTION, reply_to="c1"),
        ],
    )


def test_weekly_growth_counts_joins_leaves_and_a_rejoin(workspace) -> None:
    community(workspace)

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 20), period="week")
    weeks = {p["period_start"]: p for p in kpis["series"]["by_period"]}

    assert kpis["period"] == "week"
    assert kpis["series"]["by_period"][0]["period_start"] == "2026-02-16"  # Monday
    assert kpis["series"]["by_period"][-1]["period_start"] == "2026-03-16"
    assert [weeks["2026-02-16"][k] for k in ("joined", "left", "net_growth", "growth_rate")] == [
        1,
        0,
        1,
        None,  # nobody before: undefined
    ]
    assert weeks["2026-02-23"]["members_total"] == 1  # an empty week keeps the total
    assert [weeks["2026-03-02"][k] for k in ("joined", "left", "net_growth", "growth_rate")] == [
        3,  # a, b and c (first seen by a message)
        0,
        3,
        3.0,  # 3 ÷ 1
    ]
    # d joins, b leaves; e joins and leaves inside the week: neither
    assert [weeks["2026-03-09"][k] for k in ("joined", "left", "net_growth", "growth_rate")] == [
        1,
        1,
        0,
        0.0,
    ]
    # b rejoins and f arrives; a leaves: 4 → 5
    assert kpis["growth"] == {"joined": 2, "left": 1, "net_growth": 1, "growth_rate": 0.25}
    assert [weeks[w]["members_total"] for w in ("2026-03-02", "2026-03-09", "2026-03-16")] == [
        4,
        4,
        5,
    ]
    assert kpis["members_total"] == 5  # the headline figure agrees with the series


def test_monthly_growth_sees_only_where_members_stand_at_the_month_end(workspace) -> None:
    community(workspace)

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 20), period="month")

    assert [p["period_start"] for p in kpis["series"]["by_period"]] == ["2026-02-01", "2026-03-01"]
    feb, mar = kpis["series"]["by_period"]
    assert (feb["joined"], feb["left"], feb["members_total"]) == (1, 0, 1)
    # in at the end of March and not before: b, c, d, f; a came and went; so did e
    assert kpis["growth"] == {"joined": 4, "left": 0, "net_growth": 4, "growth_rate": 4.0}
    assert mar["members_total"] == 5


def test_engagement_over_the_week_holding_as_of(workspace) -> None:
    community(workspace)

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 20), period="week")
    week = kpis["series"]["by_period"][-1]

    # active: c, f, b (messages) and d (a reaction); 5 members at the week's end
    assert (week["active_members"], week["messages"]) == (4, 5)
    assert kpis["engagement"] == {
        "engagement_rate": 0.8,  # 4 ÷ 5
        "messages_per_active_member": 1.25,  # 5 ÷ 4
        "reply_rate": 0.4,  # 2 replies ÷ 5 messages
        "top_1pct_share": 0.6,  # ⌈3 × 1%⌉ = 1 writer: c's 3 of 5
        "top_10pct_share": 0.6,  # ⌈3 × 10%⌉ = 1
    }
    assert week["engagement_rate"] == 0.8 and week["reply_rate"] == 0.4


def test_a_day_period_reports_the_day_of_as_of(workspace) -> None:
    community(workspace)

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 16), period="day")

    assert kpis["series"]["by_period"][-1]["period_start"] == "2026-03-16"
    assert len(kpis["series"]["by_period"]) == len(kpis["series"]["daily"]) == 25
    assert kpis["growth"] == {"joined": 1, "left": 0, "net_growth": 1, "growth_rate": 0.25}
    assert kpis["engagement"]["messages_per_active_member"] == 2.0  # c 3, f 1: 4 ÷ 2
    assert kpis["engagement"]["reply_rate"] == 0.25


def test_top_shares_take_the_ceiling_of_the_writers(workspace) -> None:
    # member i writes i messages: 66 in all, 11 writers
    load(
        workspace,
        [
            message(f"{i}-{n}", utc(2026, 3, 2, 2, n), f"m{i:02d}")
            for i in range(1, 12)
            for n in range(i)
        ],
    )

    engagement = workspace_kpis(workspace, period="month")["engagement"]

    assert engagement["top_1pct_share"] == round(11 / 66, 4)  # ⌈0.11⌉ = 1
    assert engagement["top_10pct_share"] == round(21 / 66, 4)  # ⌈1.1⌉ = 2: 11 + 10
    assert engagement["messages_per_active_member"] == 6.0
    assert engagement["reply_rate"] == 0.0


def test_the_heatmap_puts_messages_in_their_local_hour_of_the_week(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 16, 2), "a"),  # Mon 10:00 local
            message("2", utc(2026, 3, 22, 15, 30), "b"),  # Sun 23:30 local
            message("3", utc(2026, 3, 22, 16, 30), "a", kind=K.REACTION, reply_to="2"),
            message("4", utc(2026, 2, 1, 2), "c"),  # 7 weeks before: outside the 28 days
        ],
    )
    do_refresh_snapshot(workspace)
    # a second part in the same hour of Monday: the rollup's parts add up
    load(workspace, [message("5", utc(2026, 3, 16, 2, 40), "c")])

    grid = workspace_kpis(workspace, as_of=date(2026, 3, 23))["heatmap"]["hour_of_week"]

    assert len(grid) == 7 and all(len(day) == 24 for day in grid)
    assert grid[0][10] == 2
    assert grid[6][23] == 1
    assert sum(map(sum, grid)) == 3  # the reaction is not a message, Feb is too old


def test_top_contributors_rank_people_by_messages_and_leave_bots_out(workspace) -> None:
    load(
        workspace,
        [
            message("a1", utc(2026, 3, 10, 2), "a"),
            message("a2", utc(2026, 3, 11, 2), "a", kind=K.REPLY, reply_to="b1"),
            message("a3", utc(2026, 3, 11, 3), "a", kind=K.REACTION, reply_to="b1"),
            message("b1", utc(2026, 3, 10, 1), "b"),
            message("b2", utc(2026, 3, 11, 1), "b", kind=K.REACTION, reply_to="a1"),
            message("c0", utc(2026, 2, 1, 2), "c"),  # more than 30 days before
            message("c1", utc(2026, 2, 1, 3), "c"),
            *[bot_message(f"bot{i}", utc(2026, 3, 12, i)) for i in range(5)],
        ],
    )

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 12))
    ids = {m["member_id"]: m for m in kpis["top_contributors"]}

    a, b = (
        Channel.objects.get(external_id="g1").activities.get(external_id=e).member_id
        for e in ("a1", "b1")
    )
    assert [m["member_id"] for m in kpis["top_contributors"]] == [a, b]
    assert ids[a] == {"member_id": a, "messages": 2, "replies": 1, "reactions": 1, "active_days": 2}
    assert ids[b] == {"member_id": b, "messages": 1, "replies": 0, "reactions": 1, "active_days": 2}


def test_a_channel_filter_restricts_every_figure(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 16, 2), "a", channel="g1"),
            message("2", utc(2026, 3, 16, 3), "b", channel="g1", kind=K.REPLY, reply_to="1"),
            message("3", utc(2026, 3, 16, 4), "a", channel="g2"),
            message("4", utc(2026, 3, 17, 2), "c", channel="g2"),
            message("5", utc(2026, 3, 17, 3), "c", channel="g2"),
        ],
    )
    g2 = Channel.objects.get(external_id="g2").pk

    everything = workspace_kpis(workspace, period="week")
    only = workspace_kpis(workspace, period="week", channel_id=g2)

    assert (everything["members_total"], everything["messages_total"]) == (3, 5)
    assert only["channel_id"] == g2
    assert (only["members_total"], only["messages_total"]) == (2, 3)
    assert only["growth"]["joined"] == 2
    assert only["engagement"]["reply_rate"] == 0.0
    assert everything["engagement"]["reply_rate"] == 0.2
    assert sum(map(sum, only["heatmap"]["hour_of_week"])) == 3
    assert [m["messages"] for m in only["top_contributors"]] == [2, 1]


def test_an_unknown_channel_has_empty_kpis(workspace) -> None:
    load(workspace, [message("1", utc(2026, 3, 16, 2), "a")])

    kpis = workspace_kpis(workspace, channel_id=999_999)

    assert kpis["as_of"] is None
    assert kpis["members_total"] == 0
    assert kpis["series"]["by_period"] == []

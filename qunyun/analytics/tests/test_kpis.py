"""Headline KPIs on hand-built histories with known answers (docs/metrics.md)."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.activity.models import Channel
from qunyun.activity.snapshot import do_refresh_snapshot
from qunyun.analytics.selectors import workspace_kpis
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K


def load(workspace, records) -> None:
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def test_definitions_of_active_new_and_messages(workspace) -> None:
    load(
        workspace,
        [
            # 2026-03-01 in Shanghai (UTC+8)
            message("j1", utc(2026, 3, 1, 1), "a", kind=K.JOIN),
            message("m1", utc(2026, 3, 1, 2), "a"),
            message("m2", utc(2026, 3, 1, 3), "b", kind=K.REPLY, reply_to="m1"),
            message("r1", utc(2026, 3, 1, 4), "c", kind=K.REACTION, reply_to="m1"),
            message("j2", utc(2026, 3, 1, 5), "d", kind=K.JOIN),  # joins: new, not active
            # 23:30 UTC on 03-01 is 07:30 on 03-02 in Shanghai
            message("m3", utc(2026, 3, 1, 23, 30), "a"),
            message("p1", utc(2026, 3, 2, 1), "e", kind=K.POST),
        ],
    )

    kpis = workspace_kpis(workspace)

    assert kpis["as_of"] == "2026-03-02"
    daily = {d["date"]: d for d in kpis["series"]["daily"]}
    assert daily["2026-03-01"]["active_members"] == 3  # a, b, c — d only joined
    assert daily["2026-03-01"]["new_members"] == 4
    assert daily["2026-03-01"]["messages"] == 2  # the reaction is not a message
    assert daily["2026-03-02"] == {
        "date": "2026-03-02",
        "active_members": 2,
        "new_members": 1,
        "messages": 1,
        "wau": 4,
        "mau": 4,
    }
    assert kpis["members_total"] == 5
    assert kpis["active_members_1d"] == 2
    assert kpis["active_members_7d"] == 4
    assert kpis["active_members_30d"] == 4
    assert kpis["new_members_30d"] == 5
    assert kpis["messages_total"] == 3
    # DAU/MAU: 3/3 on 03-01, 2/4 on 03-02 → mean 0.75
    assert kpis["stickiness"] == 0.75


def test_days_without_activity_are_zero_in_the_series(workspace) -> None:
    load(workspace, [message("1", utc(2026, 3, 1, 2), "a"), message("2", utc(2026, 3, 4, 2), "a")])

    daily = workspace_kpis(workspace)["series"]["daily"]

    assert [d["date"] for d in daily] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert [d["active_members"] for d in daily] == [1, 0, 0, 1]
    assert [d["mau"] for d in daily] == [1, 1, 1, 1]


def test_rolling_windows_drop_members_after_seven_and_thirty_days(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 1, 2), "a"),
            message("2", utc(2026, 3, 8, 2), "b"),
            message("3", utc(2026, 3, 31, 2), "c"),
        ],
    )

    kpis = workspace_kpis(workspace)
    daily = {d["date"]: d for d in kpis["series"]["daily"]}

    assert daily["2026-03-07"]["wau"] == 1
    assert daily["2026-03-08"]["wau"] == 1  # a's day 03-01 is 8 days back: out
    assert daily["2026-03-30"]["mau"] == 2  # 03-01 .. 03-30
    assert daily["2026-03-31"]["mau"] == 2  # 03-02 .. 03-31: a is out, c is in
    assert kpis["active_members_30d"] == 2


def test_members_who_left_are_not_counted_until_they_return(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 1, 2), "a"),
            message("2", utc(2026, 3, 1, 3), "b"),
            message("3", utc(2026, 3, 2, 2), "b", kind=K.LEAVE),
            message("4", utc(2026, 3, 5, 2), "b", kind=K.JOIN),
        ],
    )

    assert workspace_kpis(workspace, as_of=date(2026, 3, 3))["members_total"] == 1
    assert workspace_kpis(workspace, as_of=date(2026, 3, 5))["members_total"] == 2


def test_as_of_cuts_the_figures_at_that_day(workspace) -> None:
    load(workspace, [message(str(i), utc(2026, 3, 1 + i, 2), f"m{i}") for i in range(10)])

    kpis = workspace_kpis(workspace, as_of=date(2026, 3, 5))

    assert kpis["as_of"] == "2026-03-05"
    assert kpis["messages_total"] == 5
    assert kpis["series"]["daily"][-1]["date"] == "2026-03-05"


def test_an_empty_workspace_has_zero_kpis(workspace) -> None:
    kpis = workspace_kpis(workspace)

    assert kpis["as_of"] is None
    assert kpis["members_total"] == 0
    assert kpis["series"]["daily"] == []


def test_the_snapshot_grows_incrementally_and_rebuilds_on_a_new_time_zone(workspace) -> None:
    load(workspace, [message("1", utc(2026, 3, 1, 20), "a")])
    first = do_refresh_snapshot(workspace)
    load(workspace, [message("2", utc(2026, 3, 2, 2), "b")])
    second = do_refresh_snapshot(workspace)
    nothing = do_refresh_snapshot(workspace)

    assert (first.activities_added, second.activities_added, nothing.activities_added) == (1, 1, 0)
    assert not second.rebuilt
    assert workspace_kpis(workspace)["series"]["daily"][0]["date"] == "2026-03-02"  # 04:00 +8

    workspace.time_zone = "UTC"
    workspace.save()
    kpis = workspace_kpis(workspace)

    assert kpis["series"]["daily"][0]["date"] == "2026-03-01"
    assert kpis["members_total"] == 2


def test_the_kpis_command_prints_the_period_and_channel_it_was_asked_for(workspace) -> None:
    load(
        workspace,
        [
            message("1", utc(2026, 3, 16, 2), "a", channel="g1"),
            message("2", utc(2026, 3, 17, 2), "b", channel="g2"),
        ],
    )
    g2 = Channel.objects.get(external_id="g2").pk
    out = StringIO()

    call_command("kpis", workspace="acme", json=True, period="week", channel=str(g2), stdout=out)
    kpis = json.loads(out.getvalue())

    assert (kpis["period"], kpis["channel_id"]) == ("week", g2)
    assert kpis["series"]["by_period"][-1]["period_start"] == "2026-03-16"
    assert kpis["messages_total"] == 1


def test_the_kpis_command_refuses_an_unknown_period_or_channel(workspace, other_workspace) -> None:
    load(workspace, [message("1", utc(2026, 3, 16, 2), "a")])
    do_import_records(
        other_workspace,
        [message("1", utc(2026, 3, 16, 2), "z", channel="theirs")],
        file_name="t",
        format_name="jsonl",
    )
    theirs = Channel.objects.get(external_id="theirs").pk

    with pytest.raises(CommandError, match="--period must be day, week or month, not “year”"):
        call_command("kpis", workspace="acme", period="year")
    with pytest.raises(CommandError, match="No channel “abc” in workspace “acme”"):
        call_command("kpis", workspace="acme", channel="abc")
    with pytest.raises(CommandError, match=f"No channel “{theirs}”"):
        call_command("kpis", workspace="acme", channel=str(theirs))

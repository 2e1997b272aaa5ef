"""Segments and the engagement score on a hand-built community (docs/segments.md).

as_of is 2026-06-30. With the default rules the windows are: new since 06-17, active
window 06-01..06-30, at-risk recent window 06-17..06-30 and baseline 05-20..06-16,
churned when last active on or before 05-01. Times are 02:00 UTC (10:00 in Shanghai).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from qunyun.activity.snapshot import snapshot_dir
from qunyun.analytics.backend import connect, execute, read_parquet
from qunyun.analytics.freshness import ensure_snapshot
from qunyun.analytics.segments import (
    RulesError,
    engagement_scores,
    member_scores,
    member_segments,
    rules_for,
    segments_section,
)
from qunyun.conftest import message, utc
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.ingest.records import ActivityRecord, PersonRef
from qunyun.members.merging import do_merge_members
from qunyun.members.models import Identity

AS_OF = date(2026, 6, 30)


def on(month: int, day: int, person: str, kind: K = K.MESSAGE, n: int = 0, **extra: Any) -> Any:
    return message(f"{person}-{month}-{day}-{kind}-{n}", utc(2026, month, day, 2), person,
                   kind=kind, **extra)  # fmt: skip


def community() -> list[Any]:
    """One member built for each segment, and a bot."""
    bot = PersonRef(external_id="bot", display_name="Bot", is_bot=True)
    records = [
        # left: a little activity, then left → churned
        *(on(6, d, "left") for d in (1, 2, 3)),
        on(6, 20, "left", K.LEAVE),
        # gone: last active 04-01, 90 days ago → churned
        on(4, 1, "gone"),
        # quiet: joined, never active → silent
        on(6, 1, "quiet", K.JOIN),
        # newbie: first seen 06-25 → new
        on(6, 25, "newbie"),
        # star: since 05-01, 10 busy days in the window → core (top score)
        on(5, 1, "star"),
        *(on(6, d, "star", n=i) for d in range(19, 29) for i in range(3)),
        *(on(6, d, "star", K.REPLY, n=i) for d in range(19, 29) for i in range(2)),
        # fading: 8 messages in the baseline window, 1 in the recent one → at_risk
        *(on(m, d, "fading", n=i) for m, d in ((5, 25), (6, 1), (6, 8), (6, 15)) for i in (0, 1)),
        on(6, 20, "fading"),
        # steady: 5 active days in the window, no drop → active
        *(on(6, d, "steady") for d in (5, 12, 19, 26, 29)),
        # visitor: one message 20 days ago → casual
        on(6, 10, "visitor"),
    ]
    bot_days = [
        ActivityRecord(
            source="telegram",
            channel="g1",
            external_id=f"bot-{d}",
            kind=K.MESSAGE,
            occurred_at=utc(2026, 6, d, 2),
            author=bot,
        )
        for d in range(1, 31)
    ]
    return records + bot_days


def load(workspace, records) -> tuple[Any, Any, Any]:
    do_import_records(workspace, records, file_name="t", format_name="jsonl")
    ensure_snapshot(workspace)
    base, con = snapshot_dir(workspace), connect()
    return (
        read_parquet(con, base / "member_day"),
        read_parquet(con, base / "members.parquet"),
        read_parquet(con, base / "channels.parquet"),
    )


def segments_by_name(workspace, md, members, rules) -> dict[str, str]:
    frame = execute(member_segments(md, members, AS_OF, rules))
    names = dict(
        Identity.objects.filter(workspace=workspace).values_list("member_id", "external_id")
    )
    return {names[m]: s for m, s in zip(frame["member_id"], frame["segment"], strict=True)}


def scores_by_name(workspace, frame) -> dict[str, float]:
    names = dict(
        Identity.objects.filter(workspace=workspace).values_list("member_id", "external_id")
    )
    return {names[m]: round(s, 6) for m, s in zip(frame["member_id"], frame["score"], strict=True)}


def test_each_member_lands_in_the_segment_built_for_them(workspace) -> None:
    md, members, _ = load(workspace, community())

    segments = segments_by_name(workspace, md, members, rules_for({}))

    assert segments == {
        "left": "churned",
        "gone": "churned",
        "quiet": "silent",
        "newbie": "new",
        "star": "core",
        "fading": "at_risk",  # 4 active days: "active" too, but at_risk comes first
        "steady": "active",
        "visitor": "casual",
    }  # the bot has no segment
    assert segments_section(md, members, AS_OF) == {
        "churned": 2,
        "silent": 1,
        "new": 1,
        "core": 1,
        "at_risk": 1,
        "active": 1,
        "casual": 1,
    }


def test_an_earlier_day_gives_the_segments_of_that_day(workspace) -> None:
    md, members, _ = load(workspace, community())

    counts = segments_section(md, members, date(2026, 6, 10))

    # On 06-10 newbie is not seen yet; gone's 04-01 is 70 days back (churned); left,
    # steady and visitor were first seen after 05-27 (new); star (one message on 05-01)
    # and fading (3 active days, 1 in its baseline window) are casual.
    assert counts == {
        "churned": 1,
        "silent": 1,
        "new": 3,
        "core": 0,
        "at_risk": 0,
        "active": 0,
        "casual": 2,
    }


def test_rule_overrides_change_the_outcome(workspace) -> None:
    md, members, _ = load(workspace, community())

    rules = rules_for({"active_min_days": 6, "churned_inactive_days": 100, "new_days": 3})
    segments = segments_by_name(workspace, md, members, rules)

    assert segments["steady"] == "casual"  # 5 active days < 6
    assert segments["gone"] == "casual"  # 90 days inactive < 100
    assert segments["newbie"] == "casual"  # first seen 5 days ago > 3
    assert segments["star"] == "core"


def test_a_larger_core_share_takes_the_next_best(workspace) -> None:
    md, members, _ = load(workspace, community())

    rules = rules_for({"core_top_share": 0.2, "core_min_active_days": 2})
    segments = segments_by_name(workspace, md, members, rules)

    # 8 people ranked by score: star, fading (5.30), steady (3.89), …; percent ranks
    # 0, 1/7, 2/7: the top 20 % are star and fading
    assert segments["star"] == "core"
    assert segments["fading"] == "core"
    assert segments["steady"] == "active"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"new_dayz": 3}, "“new_dayz” is not a segment rule."),
        ({"new_days": "3"}, "The segment rule “new_days” must be a whole number of days"),
        ({"new_days": 0}, "The segment rule “new_days” must be a whole number of days"),
        ({"core_top_share": 5}, "The segment rule “core_top_share” must be a number above 0"),
        ({"half_life_days": -1}, "The segment rule “half_life_days” must be a number of days"),
        ({"weights": {"like": 1}}, "“weights.like” is not an activity kind with a weight."),
        ({"weights": {"reply": -2}}, "The weight “weights.reply” must be a number of 0 or more."),
        ({"weights": [1, 2]}, "The segment rule “weights” must be an object"),
    ],
)
def test_invalid_overrides_are_refused_by_name(overrides, named) -> None:
    with pytest.raises(RulesError) as error:
        rules_for(overrides)

    assert str(error.value).startswith(named)


def test_scores_decay_by_half_every_thirty_days(workspace) -> None:
    md, _, _ = load(
        workspace,
        [
            on(5, 31, "m"),  # 30 days before as_of: 1 × 0.5
            on(6, 30, "m", K.REPLY),  # today: 2
            on(6, 30, "m", K.REACTION),  # today: 0.5
            on(4, 1, "old", K.POST),  # 90 days: 3 × 0.125
            on(6, 30, "joiner", K.JOIN),  # joins score nothing
            on(7, 1, "m"),  # after as_of: not counted
        ],
    )

    assert scores_by_name(workspace, execute(member_scores(md, AS_OF, rules_for({})))) == {
        "m": 3.0,
        "old": 0.375,
        "joiner": 0.0,
    }
    faster = rules_for({"half_life_days": 15, "weights": {"reaction": 0}})
    assert scores_by_name(workspace, execute(member_scores(md, AS_OF, faster))) == {
        "m": 2.25,
        "old": 0.046875,
        "joiner": 0.0,
    }


def test_scores_per_platform_follow_the_channels(workspace, alice) -> None:
    load(
        workspace,
        [
            on(6, 30, "tg"),
            on(6, 30, "tg", K.REPLY),
            message("d1", utc(2026, 6, 30, 2), "dc", source="discord", channel="general"),
        ],
    )
    keep = Identity.objects.get(external_id="tg").member
    absorb = Identity.objects.get(external_id="dc").member
    do_merge_members(workspace, keep, absorb, acting_user=alice)
    ensure_snapshot(workspace)  # the merge rebuilds the snapshot
    md = read_parquet(connect(), snapshot_dir(workspace) / "member_day")
    channels = read_parquet(connect(), snapshot_dir(workspace) / "channels.parquet")

    frame = execute(engagement_scores(md, channels, AS_OF, rules_for({})))

    assert sorted(zip(frame["member_id"], frame["platform"], frame["score"], strict=True)) == [
        (keep.pk, "discord", 1.0),
        (keep.pk, "telegram", 3.0),
    ]


#: Kinds that score but are no chat activity: comments, events, surveys, purchases.
OTHER_KINDS = (K.COMMENT, K.EVENT_REGISTERED, K.EVENT_ATTENDED, K.SURVEY_ANSWERED, K.PURCHASE)


def test_spark_gives_the_same_segments_and_scores_as_duckdb(workspace, spark) -> None:
    # The community, and every other weighted kind done by steady and visitor.
    others = [on(6, 28, "steady", kind) for kind in OTHER_KINDS]
    others += [on(6, 12, "visitor", kind) for kind in OTHER_KINDS]
    md, members, channels = load(workspace, community() + others)
    base = snapshot_dir(workspace)
    spark_md = read_parquet(spark, base / "member_day")
    spark_members = read_parquet(spark, base / "members.parquet")
    rules = rules_for({"weights": {"comment": 1.5, "event_attended": 7, "purchase": 4}})
    chat_only = rules_for({"weights": dict.fromkeys(map(str, OTHER_KINDS), 0)})
    assert (
        scores_by_name(workspace, execute(member_scores(md, AS_OF, rules)))["steady"]
        > scores_by_name(workspace, execute(member_scores(md, AS_OF, chat_only)))["steady"]
    )

    assert segments_section(spark_md, spark_members, AS_OF) == segments_section(md, members, AS_OF)
    duck = execute(member_segments(md, members, AS_OF, rules)).sort_values("member_id")
    other = execute(member_segments(spark_md, spark_members, AS_OF, rules)).sort_values("member_id")
    assert list(other["segment"]) == list(duck["segment"])
    assert list(other["score"].round(9)) == list(duck["score"].round(9))
    spark_channels = read_parquet(spark, base / "channels.parquet")

    def by_platform(frame: Any) -> list[tuple[int, str, float]]:
        rows = zip(frame["member_id"], frame["platform"], frame["score"], strict=True)
        return sorted((int(m), str(p), round(float(s), 9)) for m, p, s in rows)

    assert by_platform(
        execute(engagement_scores(spark_md, spark_channels, AS_OF, rules))
    ) == by_platform(execute(engagement_scores(md, channels, AS_OF, rules)))

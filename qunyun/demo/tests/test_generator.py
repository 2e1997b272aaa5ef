"""The demo generator: deterministic, valid records, and a truth that the records bear out."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from qunyun.demo import texts
from qunyun.demo.generator import DemoPlan, generate
from qunyun.demo.truth import ground_truth
from qunyun.ingest.records import (
    ACTIVE_KINDS,
    MESSAGE_KINDS,
    ActivityKind,
    ActivityRecord,
    ChannelRecord,
)

SMALL = DemoPlan(members=200, days=30)
QUESTION = re.compile(r"[?？]|吗|呢|怎么|如何|有没有")
COMPLAINT = re.compile(r"同步失败|崩|闪退|打不开|sync (broken|failed)|crash", re.IGNORECASE)


def activities(records: list) -> list[ActivityRecord]:
    return [r for r in records if isinstance(r, ActivityRecord)]


def local_day(record: ActivityRecord, plan: DemoPlan) -> date:
    return record.occurred_at.astimezone(ZoneInfo(plan.time_zone)).date()


@pytest.fixture(scope="module")
def small() -> list:
    return list(generate(SMALL))


@pytest.fixture(scope="module")
def default() -> tuple[list[ActivityRecord], float]:
    """The default demo (2,000 members, 180 days), generated once, with its duration."""
    started = time.perf_counter()
    records = list(generate(DemoPlan()))
    return activities(records), time.perf_counter() - started


@pytest.fixture(scope="module")
def default_truth() -> dict:
    return ground_truth(DemoPlan())


# -- determinism -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_records_and_truth(small) -> None:
    assert list(islice(generate(SMALL), 1000)) == small[:1000]
    assert ground_truth(SMALL) == ground_truth(DemoPlan(members=200, days=30))


def test_another_seed_gives_another_community(small) -> None:
    other = DemoPlan(members=200, days=30, seed=8)

    assert list(islice(generate(other), 1000)) != small[:1000]
    assert ground_truth(other) != ground_truth(SMALL)


# -- valid records -----------------------------------------------------------------------


def test_channels_come_first_then_activities_in_time_order(small) -> None:
    kinds = [isinstance(r, ChannelRecord) for r in small]
    channels = small[: kinds.count(True)]

    assert all(kinds[: len(channels)]) and not any(kinds[len(channels) :])
    assert {c.source for c in channels} == {"telegram", "discord", "wechat"}
    assert len({(c.source, c.external_id) for c in channels}) == len(channels)
    times = [r.occurred_at for r in activities(small)]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "plan",
    [SMALL, DemoPlan(members=120, days=21, seed=5), DemoPlan(50, 9, 3, date(2026, 3, 31), "UTC")],
    ids=["small", "three-weeks", "tiny-utc"],
)
def test_every_record_is_valid(plan) -> None:
    records = list(generate(plan))
    channels = {(r.source, r.external_id) for r in records if isinstance(r, ChannelRecord)}
    first = plan.end - timedelta(days=plan.days - 1)
    earlier: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in activities(records):
        where = (record.source, record.channel)
        assert where in channels
        assert record.occurred_at.tzinfo is UTC
        assert first <= local_day(record, plan) <= plan.end
        assert isinstance(record.kind, ActivityKind)
        assert record.author.external_id
        assert record.external_id not in earlier[where], "external ids are unique per channel"
        assert record.reply_to is None or record.reply_to in earlier[where]
        if record.kind in (ActivityKind.REPLY, ActivityKind.REACTION):
            assert record.reply_to is not None
        if record.kind == ActivityKind.REACTION:
            assert record.source in ("telegram", "discord")
            assert record.attrs["emoji"]
        assert not (record.kind == ActivityKind.LEAVE and record.source == "wechat")
        earlier[where].add(record.external_id)


def test_members_live_between_their_join_and_their_leave(small) -> None:
    lives: dict[tuple[str, str], list[ActivityKind]] = defaultdict(list)
    for record in activities(small):
        lives[record.source, record.author.external_id].append(record.kind)

    for kinds in lives.values():
        assert ActivityKind.JOIN not in kinds[1:], "a join comes first"
        assert ActivityKind.LEAVE not in kinds[:-1], "nothing after a leave"


# -- the truth ---------------------------------------------------------------------------


def recomputed_truth(plan: DemoPlan, records: list) -> dict:
    """The truth's definitions, applied to the generated records by hand."""
    days = [plan.end - timedelta(days=n) for n in range(plan.days - 1, -1, -1)]
    active: dict[date, set] = {day: set() for day in days}
    new, messages = Counter(), Counter()
    seen, joined, spoke, questions, answered = set(), set(), set(), {}, set()
    for record in activities(records):
        who, day = (record.source, record.author.external_id), local_day(record, plan)
        if who not in seen:
            seen.add(who)
            new[day] += 1
        if record.kind in ACTIVE_KINDS:
            active[day].add(who)
        if record.kind in MESSAGE_KINDS:
            messages[day] += 1
            spoke.add(who)
        if record.kind == ActivityKind.JOIN:
            joined.add(who)
        where = (record.source, record.channel)
        if record.kind == ActivityKind.MESSAGE and QUESTION.search(record.text):
            questions[(*where, record.external_id)] = who
        if record.kind == ActivityKind.REPLY:
            asker = questions.get((*where, record.reply_to))
            if asker is not None and asker != who:
                answered.add((*where, record.reply_to))
    return {
        "daily": [
            {
                "date": day.isoformat(),
                "active_members": len(active[day]),
                "new_members": new[day],
                "messages": messages[day],
            }
            for day in days
        ],  # fmt: skip
        "members_total": len(seen),
        "messages_total": sum(messages.values()),
        "silent_members": len(joined - spoke),
        "questions": len(questions),
        "unanswered_questions": len(set(questions) - answered),
    }


@pytest.mark.parametrize(
    "plan",
    [
        SMALL,
        DemoPlan(members=150, days=30, seed=11, end=date(2026, 11, 10), time_zone="Europe/Berlin"),
    ],
    ids=["shanghai", "berlin-across-dst"],
)
def test_the_truth_is_what_the_records_show(plan) -> None:
    truth = ground_truth(plan)
    mine = recomputed_truth(plan, list(generate(plan)))

    assert truth["daily"] == mine["daily"]
    assert truth["members_total"] == mine["members_total"]
    assert truth["messages_total"] == mine["messages_total"]
    for key in ("silent_members", "questions", "unanswered_questions"):
        assert truth["planted"][key] == mine[key], key
    assert json.loads(json.dumps(truth)) == truth
    assert truth["plan"] == {"members": plan.members, "days": plan.days, "seed": plan.seed,
                             "end": plan.end.isoformat(), "time_zone": plan.time_zone}  # fmt: skip


def test_planted_bots_and_spammers_are_the_ones_in_the_records(small) -> None:
    truth = ground_truth(SMALL)
    acts = activities(small)

    assert sorted({r.author.external_id for r in acts if r.author.is_bot}) == sorted(
        truth["planted"]["bots"]
    )
    for spammer in truth["planted"]["spammers"]:
        ads = {r.text for r in acts if r.author.external_id == spammer and r.kind == "message"}
        assert len(ads) == 1 and "http" in ads.pop()


def test_phrase_banks_keep_questions_apart() -> None:
    for topic in texts.TOPICS.values():
        assert all(QUESTION.search(q) for q in topic["zh_q"] + topic["en_q"])
    for bank in (texts.CHAT, texts.GRIPES, texts.COMPLAINTS, texts.RISING, texts.SPAM):
        assert not any(QUESTION.search(line) for lang in ("zh", "en") for line in bank[lang])


def test_a_plan_too_small_is_refused() -> None:
    with pytest.raises(ValueError):
        list(generate(DemoPlan(members=3)))


# -- sizes -------------------------------------------------------------------------------


def test_a_small_plan_is_small_and_fast() -> None:
    started = time.perf_counter()
    count = len(activities(list(generate(SMALL))))

    assert 1_500 <= count <= 8_000
    assert time.perf_counter() - started < 2


def test_the_default_plan_is_about_150_thousand_activities_in_seconds(default) -> None:
    records, seconds = default

    assert 120_000 <= len(records) <= 180_000
    assert seconds < 15


# -- lifecycles --------------------------------------------------------------------------


def test_members_join_leave_and_some_never_speak(default, default_truth) -> None:
    records, _ = default
    kinds = Counter(r.kind for r in records)
    planted = default_truth["planted"]
    joiners = {r.author.external_id for r in records if r.kind == ActivityKind.JOIN}
    everyone = {r.author.external_id for r in records}

    assert kinds[ActivityKind.LEAVE] > 50
    assert planted["churned_members"] >= kinds[ActivityKind.LEAVE] - len(planted["spammers"])
    assert 0.2 * len(everyone) < planted["silent_members"] < 0.6 * len(everyone)
    assert 0.08 < 1 - len(joiners) / len(everyone) < 0.25, "some were there before the window"
    assert 0.08 < planted["unanswered_questions"] / planted["questions"] < 0.25


def test_a_core_writes_most_messages(default) -> None:
    records, _ = default
    per_member = Counter(
        (r.source, r.author.external_id) for r in records if r.kind in MESSAGE_KINDS
    )
    members = len({(r.source, r.author.external_id) for r in records})
    top = sorted(per_member.values(), reverse=True)[: members // 10]

    assert sum(top) > 0.4 * sum(per_member.values())


def test_evenings_are_busy_and_weekends_quiet(default) -> None:
    records, _ = default
    plan, tz = DemoPlan(), ZoneInfo("Asia/Shanghai")
    hours = Counter(r.occurred_at.astimezone(tz).hour for r in records)
    weekdays = Counter(local_day(r, plan).weekday() for r in records)

    assert sum(hours[h] for h in (20, 21, 22)) > 2 * sum(hours[h] for h in (6, 7, 8))
    assert weekdays[5] + weekdays[6] < 0.85 * (weekdays[0] + weekdays[1])


def test_the_outage_day_has_a_spike_of_complaints(default, default_truth) -> None:
    records, _ = default
    plan, surge = DemoPlan(), default_truth["planted"]["complaint_surge"]
    complaints = Counter(
        local_day(r, plan) for r in records if r.kind in MESSAGE_KINDS and COMPLAINT.search(r.text)
    )
    surge_day = datetime.fromisoformat(surge["start"]).astimezone(ZoneInfo(plan.time_zone)).date()
    others = [complaints[plan.end - timedelta(days=n)] for n in range(plan.days)]
    others.remove(complaints[surge_day])

    assert complaints.most_common(1)[0][0] == surge_day
    assert complaints[surge_day] > 10 * max(3, statistics.median(others))
    assert (plan.end - surge_day).days == 30


def test_the_new_feature_rises_over_the_last_three_weeks(default, default_truth) -> None:
    records, _ = default
    plan, rising = DemoPlan(), default_truth["planted"]["rising_topic"]
    start = date.fromisoformat(rising["from"])
    weeks = Counter(
        (local_day(r, plan) - start).days // 7
        for r in records
        if r.kind in MESSAGE_KINDS and rising["term"] in r.text
    )

    assert rising["term"] == texts.RISING_TERM and (plan.end - start).days == 20
    assert min(weeks) == 0, "nobody mentions it before it launches"
    assert weeks[0] < weeks[1] < weeks[2]


def test_size_grows_about_linearly_with_members_and_days(default) -> None:
    records, _ = default
    half_the_members = len(activities(list(generate(DemoPlan(members=1000)))))
    twice_the_days = len(activities(list(generate(DemoPlan(members=500, days=360)))))

    # Roughly: a handful of core members weighs a lot, so one seed is never exact.
    assert 0.35 < half_the_members / len(records) < 0.65
    assert 0.35 < twice_the_days / len(records) < 0.65

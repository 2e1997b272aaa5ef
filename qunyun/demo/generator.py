"""The demo community (DESIGN.md §8): canonical records, and the truth they were built on.

Pure and deterministic (no database, only ``random.Random(plan.seed)``). The community is
the user group of a note-taking app on Telegram, Discord and WeChat. Members live on one
platform, in one segment (core, regular, occasional, lurker, silent); they join over the
window (some were there before it), act at a personal rate that fades at a personal
speed on a weekly and an evening-heavy daily rhythm, and some leave (WeChat does not
announce leaves). Other members answer questions after minutes to hours, or never.
Planted on top: bots' announcements, spammers' bursts, an outage with a complaint surge
about 30 days before the end, and a new feature (``texts.RISING_TERM``) on the rise.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.demo import texts
from qunyun.ingest.records import (
    MESSAGE_KINDS,
    ActivityKind,
    ActivityRecord,
    ChannelRecord,
    PersonRef,
)


@dataclass
class DemoPlan:
    """What to generate: ``members`` people over the ``days`` days that end on ``end``."""

    members: int = 2000
    days: int = 180
    seed: int = 7
    end: date = date(2026, 11, 24)
    time_zone: str = "Asia/Shanghai"


#: (source, external id, name, kind) of every channel the community may use.
CHANNELS = (
    ("telegram", "1873264519", "Qunyun Demo 用户群", "public_supergroup"),
    ("discord", "1187264519038273536", "#general", "text"),
    ("discord", "1187264519038273537", "#help", "text"),
    ("wechat", "48213795601@chatroom", "产品交流1群", "group"),
    ("wechat", "50937716244@chatroom", "产品交流2群", "group"),
)
_TG, _GENERAL, _HELP, _WX1, _WX2 = range(len(CHANNELS))
_HOME = {"telegram": _TG, "discord": _GENERAL, "wechat": _WX1}
_WECHAT_GROUP_CAP = 450  # a WeChat group holds 500: later joiners fill the second group
#: platform: (share of members, share writing in English)
_PLATFORMS = {"wechat": (0.40, 0.03), "telegram": (0.35, 0.20), "discord": (0.25, 0.45)}
#: segment: (share, actions a day on arrival (median), fade in days, share that leaves,
#: cumulative mix of root message / question / reply / reaction)
_SEGMENTS = {
    "core": (0.04, 12.5, (150.0, 500.0), 0.03, (0.22, 0.25, 0.65, 1.0)),
    "regular": (0.12, 4.2, (45.0, 180.0), 0.12, (0.26, 0.35, 0.65, 1.0)),
    "occasional": (0.35, 0.75, (15.0, 60.0), 0.30, (0.2, 0.45, 0.65, 1.0)),
    "lurker": (0.22, 0.15, (20.0, 90.0), 0.30, (0.08, 0.25, 0.33, 1.0)),
    "silent": (0.27, 0.0, (1.0, 1.0), 0.35, (1.0, 1.0, 1.0, 1.0)),
}
_SEGMENT_NAMES = tuple(_SEGMENTS)
_SEGMENT_CW = list(accumulate(segment[0] for segment in _SEGMENTS.values()))
_ACTIONS = ("root", "question", "reply", "react")
_SURGE_TURNOUT = {"core": 0.9, "regular": 0.6, "occasional": 0.25, "lurker": 0.06}
_HELPERS = ("core", "regular", "occasional")
# Local hours, weekdays then weekends: evenings (20:00-23:00) are busiest.
_HOURS_CW = tuple(list(accumulate(hours)) for hours in (
    (3, 1.5, .8, .4, .3, .3, .5, 1.2, 2.5, 4, 5, 5, 5.5, 5, 4.5, 4.5, 4.5, 4.5, 4.5, 5.5, 7.5, 8.5,
     8.5, 6),
    (4, 2.5, 1.2, .6, .4, .3, .4, .7, 1.5, 3, 4.5, 5, 5.5, 5, 5, 5, 5, 5, 5, 6, 7.5, 8, 7.5, 5.5),
))  # fmt: skip
_WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.75)
_DISCORD_EPOCH_MS = 1_420_070_400_000
_WXID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_MESSAGE, _REPLY = ActivityKind.MESSAGE, ActivityKind.REPLY


@dataclass(slots=True, eq=False)
class _Member:
    """A person (or bot) of the cast, with the lifecycle drawn for them."""

    person: PersonRef
    source: str
    segment: str  # a key of _SEGMENTS, "bot" or "spammer"
    lang: str
    arrival: float  # in window days; < 0: there before the window
    home: int
    start: int  # acts at or after this UTC second (just after the join)
    stop: int  # acts before this UTC second (the leave, or the window end)
    rate: float = 0.0  # actions a day on arrival
    fade: float = 1.0  # days for the rate to fall by e
    churned: bool = False


# An event: [UTC second, creation order, channel, kind, member, text, target event, attrs,
# (topic, language) of a question or None, external id]. Lists sort by (time, order).
_Event = list[Any]


def generate(plan: DemoPlan) -> Iterator[ChannelRecord | ActivityRecord]:
    """Yield every ChannelRecord first, then activities in time order."""
    yield from _Community(plan).records()


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: Knuth's product for small means, the normal approximation above."""
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Community:
    """One generated community: its cast, its events in time order, what was planted."""

    def __init__(self, plan: DemoPlan) -> None:
        if plan.members < 10 or plan.days < 1:
            raise ValueError("a demo community needs at least 10 members and 1 day")
        self.rng, days, tz = random.Random(plan.seed), plan.days, ZoneInfo(plan.time_zone)
        self.dates = [plan.end - timedelta(days=days - 1 - d) for d in range(days + 1)]
        self.day_starts = [int(datetime.combine(d, time(), tz).timestamp()) for d in self.dates]
        del self.dates[-1]  # kept just long enough to know where the last day ends
        self.window_end = self.day_starts[-1]
        # Longer windows keep members longer, so that the size grows about linearly.
        self.stretch = max(1.0, days / 180)
        # Quieter at weekends and in the National Day golden week.
        self.busy = [
            _WEEKDAY_FACTOR[day.weekday()] * (0.7 if day.month == 10 and day.day <= 7 else 1.0)
            for day in self.dates
        ]
        self.surge_day = days - 31 if days > 45 else days // 3
        self.rising_from = days - 21 if days > 45 else days // 2
        growth = [(d - self.rising_from + 1) / (days - self.rising_from) for d in range(days)]
        self.rising = [0.0 if g <= 0 else 0.03 + 0.3 * g**1.5 for g in growth]
        self.events: list[_Event] = []
        self.pending: list[tuple[int, _Member, str]] = []  # replies and reactions to place
        self.members: list[_Member] = []
        self._cast(plan.members)
        for member in self.members:
            self._live(member)
        self._announce()
        self.surge = self._outage()
        self._answer_questions()
        self._converse()
        self.events.sort()
        self._name_events()

    def records(self) -> Iterator[ChannelRecord | ActivityRecord]:
        """The channels in use, then every activity in time order."""
        used = {event[2] for event in self.events}
        yield from (ChannelRecord(*CHANNELS[chan]) for chan in range(len(CHANNELS)) if chan in used)
        for ts, _, chan, kind, member, text, target, attrs, _, external_id in self.events:
            yield ActivityRecord(
                source=CHANNELS[chan][0],
                channel=CHANNELS[chan][1],
                external_id=external_id,
                kind=kind,
                occurred_at=datetime.fromtimestamp(ts, UTC),
                author=member.person,
                text=text,
                reply_to=target[9] if target else None,
                attrs=attrs or {},
            )

    def _cast(self, size: int) -> None:
        """Bots, spammers and people, each on one platform; WeChat fills two groups."""
        rng, ids = self.rng, set()
        join_cw = list(accumulate(self._join_weights()))
        platform_cw = list(accumulate(share for share, _ in _PLATFORMS.values()))
        bots = texts.BOTS if size >= 500 else texts.BOTS[:2]
        spammers = max(1, round(size * 0.005))
        for n in range(size):
            if n < len(bots):
                source, display, handle, lang = bots[n]
                segment, arrival, start = "bot", -365.0, self.day_starts[0]
            else:
                source = rng.choices(tuple(_PLATFORMS), cum_weights=platform_cw)[0]
                lang = "en" if rng.random() < _PLATFORMS[source][1] else "zh"
                segment = rng.choices(_SEGMENT_NAMES, cum_weights=_SEGMENT_CW)[0]
                segment = "spammer" if n < len(bots) + spammers else segment
                if segment not in ("silent", "spammer") and rng.random() < 0.2:
                    arrival, start = -rng.uniform(1.0, 45.0), self.day_starts[0]
                else:
                    day = bisect_right(join_cw, rng.random() * join_cw[-1])
                    # Nobody joins in the last hour, so that spammers' bursts fit.
                    start = min(self._clock(day) + 1, self.window_end - 3600)
                    arrival = day + (start - self.day_starts[day]) / 86400
                display, handle = texts.person_name(rng, lang)
                if source == "wechat" or (source == "telegram" and rng.random() < 0.4):
                    handle = ""  # WeChat shows no handle; many Telegram users set none
            while (user_id := self._user_id(source)) in ids:
                pass
            ids.add(user_id)
            person = PersonRef(user_id, display, handle, is_bot=segment == "bot")
            member = _Member(person, source, segment, lang, arrival, _HOME[source], start, 0)
            member.stop = self.window_end
            if segment in _SEGMENTS:
                _, median, (fastest, slowest), _, _ = _SEGMENTS[segment]
                member.rate = median * rng.lognormvariate(0.0, 0.45)
                member.fade = rng.uniform(fastest, slowest) * self.stretch
            self.members.append(member)
        wechat = [m for m in self.members if m.source == "wechat" and m.segment != "bot"]
        for member in sorted(wechat, key=lambda m: m.arrival)[_WECHAT_GROUP_CAP:]:
            member.home = _WX2

    def _join_weights(self) -> list[float]:
        """How many join on each day: slowly more, and many on two promotion days."""
        days = len(self.dates)
        promotions = (int(days * 0.3), int(days * 0.65))
        return [
            (1 + 0.5 * d / days) * self.busy[d]
            * (5.0 if d in promotions else 2.0 if d - 1 in promotions else 1.0)
            for d in range(days)
        ]  # fmt: skip

    def _user_id(self, source: str) -> str:
        """A user id in the platform's shape."""
        rng = self.rng
        if source == "telegram":
            return f"user{rng.randint(100_000_000, 7_999_999_999)}"
        if source == "discord":
            created_ms = rng.randint(1_450_000_000_000, 1_780_000_000_000)
            return str(((created_ms - _DISCORD_EPOCH_MS) << 22) | rng.getrandbits(22))
        return "wxid_" + "".join(rng.choices(_WXID_CHARS, k=14))

    def _live(self, member: _Member) -> None:
        """Join, act at a fading personal rate, perhaps leave."""
        rng, days = self.rng, len(self.dates)
        if member.segment == "bot":
            return
        if member.arrival >= 0:
            self._add(member.start - 1, member.home, ActivityKind.JOIN, member)
        if member.segment == "spammer":  # a burst of one identical ad, then gone
            text, ts = texts.spam_line(rng, member.lang), member.start + rng.randrange(60, 900)
            for n in range(rng.randint(4, 8)):
                chan = _HELP if member.source == "discord" and n % 2 else member.home
                self._add(ts, chan, _MESSAGE, member, text)
                ts += rng.randrange(5, 90)
            member.stop = ts
            return
        self._maybe_leave(member)
        begin, end = max(member.arrival, 0.0), (member.stop - self.day_starts[0]) / 86400
        if member.rate <= 0:
            return
        if member.arrival < 0:  # there before the window: shows up early
            day = int(rng.uniform(0.0, min(10.0, end)))
            if (ts := self._clock(day)) < member.stop:
                self._act(member, ts, day, "root")
        arrival, fade, mix = member.arrival, member.fade, _SEGMENTS[member.segment][4]
        high, low = math.exp((arrival - begin) / fade), math.exp((arrival - end) / fade)
        for _ in range(_poisson(rng, member.rate * fade * (high - low))):
            # Inverse of the exponentially fading intensity, then the weekly rhythm.
            day = int(arrival - fade * math.log(high - rng.random() * (high - low)))
            if day >= days or rng.random() > self.busy[day]:
                continue
            ts = max(self._clock(day), member.start + int(rng.random() * 1800))
            if ts < member.stop:
                self._act(member, ts, day, _ACTIONS[bisect_right(mix, rng.random())])

    def _maybe_leave(self, member: _Member) -> None:
        rng = self.rng
        if rng.random() >= _SEGMENTS[member.segment][3]:
            return
        mean = (20.0 if member.segment == "silent" else 40.0) * self.stretch
        t = max(member.arrival, 0.0) + 1 + rng.expovariate(1 / mean)
        if t >= len(self.dates) or (ts := self._clock(int(t))) <= member.start + 600:
            return
        member.stop, member.churned = ts, True
        if member.source != "wechat":  # WeChat does not announce voluntary leaves
            self._add(ts, member.home, ActivityKind.LEAVE, member)

    def _act(self, member: _Member, ts: int, day: int, action: str) -> None:
        """Say something now, or queue a reply/reaction to place once all is said."""
        rng = self.rng
        if action in ("reply", "react"):
            self.pending.append((ts, member, action))
            return
        lang = member.lang if rng.random() < 0.92 else ("en" if member.lang == "zh" else "zh")
        if action == "question":
            topic, text = texts.question(rng, lang, self.rising[day])
            chan = _HELP if member.source == "discord" and rng.random() < 0.85 else member.home
            self._add(ts, chan, _MESSAGE, member, text, topic=(topic, lang))
        else:
            self._add(
                ts, member.home, _MESSAGE, member, texts.chat_line(rng, lang, self.rising[day])
            )

    def _announce(self) -> None:
        """Bots: release notes on Tuesdays, live sessions on Thursdays, the feature launch."""
        rng, starts = self.rng, self.day_starts
        for bot in (m for m in self.members if m.segment == "bot"):
            for d, day in enumerate(self.dates):
                if (what := {1: "release", 3: "live"}.get(day.weekday())) is not None:
                    ts = starts[d] + (36000 if what == "release" else 43200) + rng.randrange(1800)
                    text = texts.announcement(rng, what, bot.lang, d // 7)
                    self._add(ts, bot.home, _MESSAGE, bot, text)
            ts = starts[self.rising_from] + 39600 + rng.randrange(600)
            self._add(ts, bot.home, _MESSAGE, bot, texts.announcement(rng, "launch", bot.lang, 0))

    def _outage(self) -> tuple[int, int]:
        """The planted outage: hours of complaints and worried questions."""
        rng, day = self.rng, self.surge_day
        start = self.day_starts[day] + 34200 + rng.randrange(5400)  # from 09:30-11:00
        end = start + rng.randrange(4 * 3600, 6 * 3600)
        for member in self.members:
            lang, home = member.lang, member.home
            if member.segment == "bot":
                for ts, what in (
                    (start + rng.randrange(1200, 2400), "incident"),
                    (end, "resolved"),
                ):
                    self._add(ts, home, _MESSAGE, member, texts.announcement(rng, what, lang, 0))
                continue
            turnout = _SURGE_TURNOUT.get(member.segment, 0.0)
            turnout *= math.exp((member.arrival - day) / member.fade)
            if not member.start <= start < end + 3600 < member.stop or rng.random() >= turnout:
                continue
            for _ in range(1 + int(rng.expovariate(1.2))):
                ts = start + min(int(rng.expovariate(1 / 5400)), end - start + 3000)
                if rng.random() < 0.3:
                    text = rng.choice(texts.TOPICS["outage"][lang + "_q"])
                    chan = _HELP if member.source == "discord" else home
                    self._add(ts, chan, _MESSAGE, member, text, topic=("outage", lang))
                else:
                    self._add(ts, home, _MESSAGE, member, rng.choice(texts.COMPLAINTS[lang]))
        return start, end

    def _answer_questions(self) -> None:
        """Other members answer most questions after minutes to hours; askers thank them."""
        rng, pools = self.rng, []
        for chan, (source, *_) in enumerate(CHANNELS):
            pool = [  # Discord members are at home in #general and help in #help too
                m for m in self.members
                if m.source == source and m.segment in _HELPERS and m.home in (chan, _GENERAL)
            ]  # fmt: skip
            pools.append((pool, list(accumulate(m.rate for m in pool))))
        for question in [event for event in self.events if event[8] is not None]:
            (topic, lang), asker, chan = question[8], question[4], question[2]
            if rng.random() >= (0.6 if topic == "outage" else 0.9):
                continue
            ts, first = question[0], None
            for _ in range(1 + (rng.random() < 0.3)):
                ts += 40 + int(rng.lognormvariate(math.log(1500), 1.1))
                if (helper := self._helper(pools[chan], ts, asker)) is None:
                    break
                text = rng.choice(texts.TOPICS[topic][lang + "_a"])
                answer = self._add(ts, chan, _REPLY, helper, text, target=question)
                first = first or answer
            if first is not None and rng.random() < 0.4:
                ts = first[0] + 30 + int(rng.lognormvariate(math.log(600), 0.9))
                if asker.start <= ts < asker.stop:
                    self._add(ts, chan, _REPLY, asker, rng.choice(texts.THANKS[lang]), first)

    def _helper(
        self, pool: tuple[list[_Member], list[float]], ts: int, asker: _Member
    ) -> _Member | None:
        """A member of the channel who is around at ``ts`` and still engaged, or None."""
        members, cum_weights = pool
        t = (ts - self.day_starts[0]) / 86400
        for member in self.rng.choices(members, cum_weights=cum_weights, k=8) if members else ():
            engaged = max(0.1, math.exp((member.arrival - t) / member.fade))
            present = member is not asker and member.start <= ts < member.stop
            if present and self.rng.random() < engaged:
                return member
        return None

    def _converse(self) -> None:
        """Place replies and reactions on recent messages of the same channel."""
        rng, lines = self.rng, [list[_Event]() for _ in CHANNELS]
        for event in sorted(self.events):
            if event[3] in MESSAGE_KINDS and event[8] is None and event[4].segment != "spammer":
                lines[event[2]].append(event)
        clocks = [[event[0] for event in line] for line in lines]
        for ts, member, action in self.pending:
            chan = _HELP if member.source == "discord" and rng.random() < 0.3 else member.home
            newest = bisect_left(clocks[chan], ts)
            oldest = bisect_left(clocks[chan], ts - (14400 if action == "reply" else 172800))
            at = max(newest - 1 - int(rng.expovariate(0.35 if action == "reply" else 0.1)), oldest)
            while oldest <= at < newest and lines[chan][at][4] is member:  # not to oneself
                at -= 1
            target = lines[chan][at] if oldest <= at < newest else None
            if target is None:
                if action == "reply":  # nobody to answer: say something instead
                    self._act(member, ts, bisect_right(self.day_starts, ts) - 1, "root")
            elif action == "reply":
                self._add(ts, chan, _REPLY, member, rng.choice(texts.REPLIES[member.lang]), target)
            elif member.source == "wechat":  # no reactions on WeChat: some type one
                if rng.random() < 0.3:
                    self._add(ts, chan, _REPLY, member, rng.choice(texts.SHORT_ACKS), target)
            else:
                attrs = {"emoji": rng.choice(texts.REACTION_EMOJI)}
                self._add(ts, chan, ActivityKind.REACTION, member, "", target, attrs)

    def _clock(self, day: int) -> int:
        """A UTC second on local ``day``, at an hour drawn from the daily rhythm."""
        cum_weights, rng = _HOURS_CW[self.dates[day].weekday() >= 5], self.rng
        hour = bisect_right(cum_weights, rng.random() * cum_weights[-1])
        start, length = self.day_starts[day], self.day_starts[day + 1] - self.day_starts[day]
        return start + min(hour * 3600 + int(rng.random() * 3600), length - 1)

    def _add(self, ts: int, chan: int, kind: ActivityKind, member: _Member, text: str = "",
             target: _Event | None = None, attrs: dict[str, str] | None = None,
             topic: tuple[str, str] | None = None) -> _Event:  # fmt: skip
        """Record an event (a list, see ``_Event``) and return it."""
        event = [ts, len(self.events), chan, kind, member, text, target, attrs, topic, None]
        self.events.append(event)
        return event

    def _name_events(self) -> None:
        """External ids in each platform's shape, unique per channel, rising with time."""
        counters = [0] * len(CHANNELS)
        for event in self.events:
            counters[event[2]] += 1
            n, source = counters[event[2]], CHANNELS[event[2]][0]
            if event[3] == ActivityKind.REACTION:
                event[9] = f"{event[6][9]}/r{n}"
            elif source == "telegram":
                event[9] = str(1000 + n)
            elif source == "discord":
                ms = event[0] * 1000 + (n >> 12) % 1000
                event[9] = str(((ms - _DISCORD_EPOCH_MS) << 22) | (1 << 17) | (n & 4095))
            else:
                event[9] = str(8_400_000_000_000_000_000 + n * 7919 + self.rng.randrange(7919))

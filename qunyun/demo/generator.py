"""The demo community (DESIGN.md §8): canonical records, and the truth they were built on.

Pure and deterministic: no database, no global random state, only ``random.Random(seed)``.
:func:`generate` yields every :class:`ChannelRecord`, then :class:`ActivityRecord` objects
in time order, for the shared ingest pipeline to write; :func:`ground_truth` replays the
same community and reports what was planted, with the metric definitions of
``docs/metrics.md`` (calendar days in ``plan.time_zone``).

The community is the user group of a note-taking app on Telegram, Discord and WeChat.
Each member lives on one platform and in one segment (core, regular, occasional, lurker,
silent); they join over the window (15% were there before it), act at a personal rate
that fades at a personal speed, on a weekly and an evening-heavy daily rhythm, and some
leave (WeChat does not announce leaves). Questions get answers from other members after
minutes to hours (some never); Telegram and Discord have reactions. Planted on top: bots'
announcements, spammers' bursts, an outage with a complaint surge about 30 days before
the end, and a new feature (:data:`texts.RISING_TERM`) rising over the last three weeks.
"""

from __future__ import annotations

import math
import random
import string
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from qunyun.demo import texts
from qunyun.ingest.records import (
    ACTIVE_KINDS,
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
#: mix of root message / question / reply / reaction)
_SEGMENTS: dict[str, tuple[float, float, tuple[float, float], float, tuple[float, ...]]] = {
    "core": (0.03, 10.0, (150.0, 500.0), 0.03, (0.25, 0.04, 0.45, 0.26)),
    "regular": (0.12, 2.5, (45.0, 180.0), 0.12, (0.30, 0.10, 0.35, 0.25)),
    "occasional": (0.35, 0.5, (15.0, 60.0), 0.30, (0.25, 0.30, 0.25, 0.20)),
    "lurker": (0.22, 0.12, (20.0, 90.0), 0.30, (0.10, 0.25, 0.10, 0.55)),
    "silent": (0.28, 0.0, (1.0, 1.0), 0.35, (1.0, 0.0, 0.0, 0.0)),
}
_SEGMENT_NAMES = tuple(_SEGMENTS)
_SEGMENT_CW = list(accumulate(s[0] for s in _SEGMENTS.values()))
_ACTIONS = ("root", "question", "reply", "react")
_SURGE_JOIN = {"core": 0.9, "regular": 0.6, "occasional": 0.25, "lurker": 0.06}
# Local hours: Chinese communities peak in the evening, 20:00-23:00; weekends start later.
_HOURS = (
    (3, 1.5, 0.8, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5, 5.5, 5, 4.5, 4.5, 4.5, 4.5, 4.5, 5.5,
     7.5, 8.5, 8.5, 6),
    (4, 2.5, 1.2, 0.6, 0.4, 0.3, 0.4, 0.7, 1.5, 3, 4.5, 5, 5.5, 5, 5, 5, 5, 5, 5, 6, 7.5, 8, 7.5,
     5.5),
)  # fmt: skip
_HOURS_CW = tuple(list(accumulate(hours)) for hours in _HOURS)
_WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.95, 0.7, 0.75)
_TOPIC_NAMES = tuple(texts.TOPIC_WEIGHTS)
_TOPIC_CW = list(accumulate(texts.TOPIC_WEIGHTS.values()))
_DISCORD_EPOCH_MS = 1_420_070_400_000
_WXID_CHARS = string.ascii_lowercase + string.digits


@dataclass(slots=True, eq=False)
class _Member:
    """A person (or bot) of the cast, with the lifecycle the generator drew for them."""

    person: PersonRef
    source: str
    segment: str
    lang: str
    arrival: float  # window days since the first local midnight; < 0: there before
    home: int = 0
    rate: float = 0.0  # actions a day on arrival
    fade: float = 1.0  # days for the rate to fall by e
    start: int = 0  # acts at or after this UTC second (just after the join)
    stop: int = 0  # acts before this UTC second (the leave, or the window end)
    churned: bool = False


# An event: [utc seconds, creation order, channel, kind, member, text, target event,
# attrs, (question topic, language) or None, external id]. Lists sort by (time, order).
_Event = list[Any]


def generate(plan: DemoPlan) -> Iterator[ChannelRecord | ActivityRecord]:
    """Yield every ChannelRecord first, then activities in time order."""
    yield from _Community(plan).records()


def ground_truth(plan: DemoPlan) -> dict:
    """The truth the generator planted, JSON-serialisable (same plan → same dict).

    ``daily`` and the totals follow docs/metrics.md: active = an ACTIVE_KINDS activity
    that day; new = the day of a member's first activity of any kind; a question is a
    root message that :func:`texts.is_question`, unanswered without a reply from someone
    else; silent = joined in the window, never wrote a message; churned = left inside the
    window (on WeChat, silently stopped).
    """
    community = _Community(plan)
    days, starts = plan.days, community.day_starts
    active: list[set[tuple[str, str]]] = [set() for _ in range(days)]
    new, messages = [0] * days, [0] * days
    first_day: dict[tuple[str, str], int] = {}
    joined, spoke, asked, answered = set(), set(), set(), set()
    for event in community.events:
        ts, _, _, kind, member, text, target = event[:7]
        day, key = bisect_right(starts, ts) - 1, (member.source, member.person.external_id)
        if key not in first_day:
            first_day[key] = day
            new[day] += 1
        if kind in ACTIVE_KINDS:
            active[day].add(key)
        if kind in MESSAGE_KINDS:
            messages[day] += 1
            spoke.add(key)
        if kind == ActivityKind.JOIN:
            joined.add(key)
        elif kind == ActivityKind.MESSAGE and texts.is_question(text):
            asked.add(id(event))
        elif kind == ActivityKind.REPLY and target[4] is not member:
            answered.add(id(target))
    cast = community.members
    return {
        "daily": [
            {
                "date": community.dates[d].isoformat(),
                "active_members": len(active[d]),
                "new_members": new[d],
                "messages": messages[d],
            }
            for d in range(days)
        ],  # fmt: skip
        "members_total": len(first_day),
        "messages_total": sum(messages),
        "planted": {
            "complaint_surge": {"start": _iso(community.surge[0]), "end": _iso(community.surge[1])},
            "rising_topic": {
                "term": texts.RISING_TERM,
                "from": community.dates[community.rising_from].isoformat(),
            },
            "spammers": [m.person.external_id for m in cast if m.segment == "spammer"],
            "bots": [m.person.external_id for m in cast if m.segment == "bot"],
            "silent_members": len(joined - spoke),
            "churned_members": sum(m.churned for m in cast),
            "unanswered_questions": len(asked - answered),
            "questions": len(asked),
        },
        "plan": {
            "members": plan.members,
            "days": plan.days,
            "seed": plan.seed,
            "end": plan.end.isoformat(),
            "time_zone": plan.time_zone,
        },  # fmt: skip
    }


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw: Knuth's product for small means, the normal approximation above."""
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


_MIX_CW = {name: list(accumulate(segment[4])) for name, segment in _SEGMENTS.items()}
_HELPERS = ("core", "regular", "occasional")
_MESSAGE = ActivityKind.MESSAGE


class _Community:
    """One generated community: its cast, its events in time order, and what was planted."""

    def __init__(self, plan: DemoPlan) -> None:
        if plan.members < 10 or plan.days < 1:
            raise ValueError("a demo community needs at least 10 members and 1 day")
        self.plan, self.rng = plan, random.Random(plan.seed)
        tz, days = ZoneInfo(plan.time_zone), plan.days
        first = plan.end - timedelta(days=days - 1)
        self.dates = [first + timedelta(days=d) for d in range(days)]
        self.day_starts = [
            int(datetime.combine(first + timedelta(days=d), time(), tz).timestamp())
            for d in range(days + 1)
        ]
        self.window_end = self.day_starts[-1]
        # Quieter at weekends and in the National Day golden week.
        self.busy = [
            _WEEKDAY_FACTOR[day.weekday()] * (0.7 if day.month == 10 and day.day <= 7 else 1.0)
            for day in self.dates
        ]
        self.surge_day = days - 31 if days > 45 else days // 2
        self.rising_from = days - 21 if days >= 42 else days // 2
        span = days - self.rising_from
        self.rising = [
            0.0 if d < self.rising_from else 0.03 + 0.3 * ((d - self.rising_from + 1) / span) ** 1.5
            for d in range(days)
        ]
        self.events: list[_Event] = []
        self.pending: list[tuple[int, _Member, str]] = []  # replies and reactions to place
        self.members: list[_Member] = []
        self._ids: set[str] = set()
        self._cast()
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
        for chan, channel in enumerate(CHANNELS):
            if chan in used:
                yield ChannelRecord(*channel)
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

    # -- the cast -----------------------------------------------------------------------

    def _cast(self) -> None:
        rng, plan = self.rng, self.plan
        bots = texts.BOTS if plan.members >= 500 else texts.BOTS[:2]
        for source, name, handle, lang in bots:
            person = PersonRef(self._user_id(source), name, handle, is_bot=True)
            self._enlist(person, source, "bot", lang, -365.0, self.day_starts[0])
        spammers = max(1, round(plan.members * 0.005))
        platforms = tuple(_PLATFORMS)
        platform_cw = list(accumulate(share for share, _ in _PLATFORMS.values()))
        join_cw = list(accumulate(self._join_weights()))
        for n in range(plan.members - len(bots)):
            source = rng.choices(platforms, cum_weights=platform_cw)[0]
            lang = "en" if rng.random() < _PLATFORMS[source][1] else "zh"
            segment = rng.choices(_SEGMENT_NAMES, cum_weights=_SEGMENT_CW)[0]
            segment = "spammer" if n < spammers else segment
            if segment not in ("silent", "spammer") and rng.random() < 0.2:
                arrival, start = -rng.uniform(1.0, 45.0), self.day_starts[0]
            else:
                day = bisect_right(join_cw, rng.random() * join_cw[-1])
                start = self._clock(day) + 1
                arrival = day + (start - self.day_starts[day]) / 86400
            display, handle = self._names(lang)
            if source == "wechat" or (source == "telegram" and rng.random() < 0.4):
                handle = ""
            person = PersonRef(self._user_id(source), display, handle)
            self._enlist(person, source, segment, lang, arrival, start)
        wechat = [m for m in self.members if m.source == "wechat" and m.segment != "bot"]
        for member in sorted(wechat, key=lambda m: m.arrival)[_WECHAT_GROUP_CAP:]:
            member.home = _WX2

    def _enlist(
        self, person: PersonRef, source: str, segment: str, lang: str, arrival: float, start: int
    ) -> None:
        member = _Member(person, source, segment, lang, arrival, _HOME[source])
        member.start, member.stop = start, self.window_end
        if segment in _SEGMENTS:
            _, median, (fastest, slowest), _, _ = _SEGMENTS[segment]
            member.rate = median * self.rng.lognormvariate(0.0, 0.6)
            member.fade = self.rng.uniform(fastest, slowest)
        self.members.append(member)

    def _join_weights(self) -> list[float]:
        """How many join on each day: slowly growing, with two promotion days."""
        days = self.plan.days
        promotions = (int(days * 0.3), int(days * 0.65))
        return [
            (1 + 0.5 * d / days)
            * (5.0 if d in promotions else 2.0 if d - 1 in promotions else 1.0)
            * self.busy[d]
            for d in range(days)
        ]

    def _user_id(self, source: str) -> str:
        """A fresh user id in the platform's shape."""
        rng = self.rng
        while True:
            if source == "telegram":
                user_id = f"user{rng.randint(100_000_000, 7_999_999_999)}"
            elif source == "discord":
                created_ms = rng.randint(1_450_000_000_000, 1_780_000_000_000)
                user_id = str(((created_ms - _DISCORD_EPOCH_MS) << 22) | rng.getrandbits(22))
            else:
                user_id = "wxid_" + "".join(rng.choices(_WXID_CHARS, k=14))
            if user_id not in self._ids:
                self._ids.add(user_id)
                return user_id

    def _names(self, lang: str) -> tuple[str, str]:
        """A display name and a handle, as people pick them."""
        rng, r = self.rng, self.rng.random()
        surname, surname_py = rng.choice(texts.SURNAMES)
        given, given_py = rng.choice(texts.GIVEN_NAMES)
        first = rng.choice(texts.EN_FIRST)
        if lang == "en":
            last = rng.choice(texts.EN_LAST)
            tail = last.lower() if rng.random() < 0.5 else rng.choice(texts.HANDLE_WORDS)
            handle = f"{first.lower()}{rng.choice(('', '_', '.'))}{tail}"
            return (f"{first} {last}" if r < 0.6 else handle if r < 0.85 else first), handle
        digits = rng.choice(("", "", str(rng.randint(1, 99)), str(rng.randint(1985, 2006))))
        handle = f"{surname_py}{given_py}{digits}"
        if r < 0.35:
            return surname + given, handle
        if r < 0.5:
            return rng.choice(texts.NICKNAMES), handle
        if r < 0.6:
            return surname + rng.choice(texts.HONORIFICS), handle
        if r < 0.8:
            return handle, handle
        if r < 0.9:
            return first + surname, handle
        return f"{surname}{given}-{rng.choice(texts.ROLES)}", handle

    # -- lives --------------------------------------------------------------------------

    def _live(self, member: _Member) -> None:
        """Join, act at a fading personal rate, perhaps leave."""
        rng, days = self.rng, self.plan.days
        if member.segment == "bot":
            return
        if member.arrival >= 0:
            self._add(member.start - 1, member.home, ActivityKind.JOIN, member)
        if member.segment == "spammer":
            self._spam(member)
            return
        self._maybe_leave(member)
        if member.rate <= 0:
            return
        begin, end = max(member.arrival, 0.0), (member.stop - self.day_starts[0]) / 86400
        if member.arrival < 0:  # there before the window: show up early
            day = int(rng.uniform(0.0, min(10.0, end)))
            if (ts := self._clock(day)) < member.stop:
                self._act(member, ts, day, "root")
        arrival, fade, mix = member.arrival, member.fade, _MIX_CW[member.segment]
        high, low = math.exp(-(begin - arrival) / fade), math.exp(-(end - arrival) / fade)
        for _ in range(_poisson(rng, member.rate * fade * (high - low))):
            day = int(arrival - fade * math.log(high - rng.random() * (high - low)))
            if day >= days or rng.random() > self.busy[day]:
                continue
            ts = self._clock(day)
            if ts < member.start:
                ts = member.start + rng.randrange(60, 1800)
            if ts < member.stop:
                self._act(member, ts, day, rng.choices(_ACTIONS, cum_weights=mix)[0])

    def _maybe_leave(self, member: _Member) -> None:
        rng = self.rng
        if rng.random() >= _SEGMENTS[member.segment][3]:
            return
        mean = 20.0 if member.segment == "silent" else 40.0
        t = max(member.arrival, 0.0) + 1 + rng.expovariate(1 / mean)
        if t >= self.plan.days or (ts := self._clock(int(t))) <= member.start + 600:
            return
        member.stop, member.churned = ts, True
        if member.source != "wechat":  # WeChat does not announce voluntary leaves
            self._add(ts, member.home, ActivityKind.LEAVE, member)

    def _act(self, member: _Member, ts: int, day: int, action: str) -> None:
        rng = self.rng
        if action in ("reply", "react"):
            self.pending.append((ts, member, action))
            return
        lang = member.lang if rng.random() < 0.92 else ("en" if member.lang == "zh" else "zh")
        rising = self.rising[day]
        if action == "question":
            topic = (
                "canvas"
                if rng.random() < rising
                else rng.choices(_TOPIC_NAMES, cum_weights=_TOPIC_CW)[0]
            )
            chan = _HELP if member.source == "discord" and rng.random() < 0.85 else member.home
            text = rng.choice(texts.TOPICS[topic][lang + "_q"])
            self._add(ts, chan, ActivityKind.MESSAGE, member, text, topic=(topic, lang))
            return
        r = rng.random()
        bank = texts.RISING if r < rising else texts.GRIPES if r < rising + 0.04 else texts.CHAT
        text = rng.choice(bank[lang])
        if rng.random() < 0.2:
            text += rng.choice(texts.EMOJI)
        self._add(ts, member.home, ActivityKind.MESSAGE, member, text)

    def _spam(self, member: _Member) -> None:
        """A burst of one identical ad with a link, then gone."""
        rng = self.rng
        code = "".join(rng.choices(_WXID_CHARS, k=6))
        text = rng.choice(texts.SPAM[member.lang]).format(code=code)
        ts = member.start + rng.randrange(60, 900)
        for n in range(rng.randint(4, 8)):
            if ts >= self.window_end:
                break
            chan = _HELP if member.source == "discord" and n % 2 else member.home
            self._add(ts, chan, ActivityKind.MESSAGE, member, text)
            ts += rng.randrange(5, 90)
        member.stop = min(ts, self.window_end)

    def _announce(self) -> None:
        """Bots: release notes on Tuesdays, live sessions on Thursdays, the feature launch."""
        rng, starts = self.rng, self.day_starts
        for bot in (m for m in self.members if m.segment == "bot"):
            says, items = texts.ANNOUNCE[bot.lang], texts.RELEASE_ITEMS[bot.lang]
            for d, day in enumerate(self.dates):
                if day.weekday() == 1:
                    text = says["release"].format(n=10 + d // 7, item=items[d // 7 % len(items)])
                    self._add(
                        starts[d] + 36000 + rng.randrange(1800), bot.home, _MESSAGE, bot, text
                    )
                elif day.weekday() == 3:
                    text = says["live"].format(talk=rng.choice(texts.LIVE_TALKS[bot.lang]))
                    self._add(
                        starts[d] + 43200 + rng.randrange(1800), bot.home, _MESSAGE, bot, text
                    )
            launch = starts[self.rising_from] + 39600 + rng.randrange(600)
            self._add(launch, bot.home, _MESSAGE, bot, says["launch"])

    def _outage(self) -> tuple[int, int]:
        """The planted outage: hours of complaints and worried questions."""
        rng, day = self.rng, self.surge_day
        start = self.day_starts[day] + 34200 + rng.randrange(5400)
        end = start + rng.randrange(4 * 3600, 6 * 3600)
        for member in self.members:
            if member.segment == "bot":
                says = texts.ANNOUNCE[member.lang]
                self._add(
                    start + rng.randrange(1200, 2400),
                    member.home,
                    _MESSAGE,
                    member,
                    says["incident"],
                )
                self._add(
                    end + rng.randrange(60, 600), member.home, _MESSAGE, member, says["resolved"]
                )
                continue
            joins = _SURGE_JOIN.get(member.segment, 0.0)
            joins *= math.exp(-(day - member.arrival) / member.fade)
            if not member.start <= start < end + 3600 < member.stop or rng.random() >= joins:
                continue
            lang = member.lang
            for _ in range(1 + int(rng.expovariate(1.2))):
                ts = start + min(int(rng.expovariate(1 / 5400)), end - start + 3000)
                if rng.random() < 0.3:
                    text = rng.choice(texts.TOPICS["outage"][lang + "_q"])
                    chan = _HELP if member.source == "discord" else member.home
                    self._add(ts, chan, _MESSAGE, member, text, topic=("outage", lang))
                else:
                    text = rng.choice(texts.COMPLAINTS[lang])
                    self._add(ts, member.home, _MESSAGE, member, text)
        return start, end

    # -- conversations ------------------------------------------------------------------

    def _answer_questions(self) -> None:
        """Other members answer most questions after minutes to hours; askers thank them."""
        rng = self.rng
        pools = {}
        for chan, (source, *_) in enumerate(CHANNELS):
            pool = [
                m for m in self.members
                if m.source == source and m.segment in _HELPERS
                and (source != "wechat" or m.home == chan)
            ]  # fmt: skip
            pools[chan] = (pool, list(accumulate(m.rate for m in pool)))
        for question in [event for event in self.events if event[8] is not None]:
            (topic, lang), asker, chan = question[8], question[4], question[2]
            if rng.random() >= (0.6 if topic == "outage" else 0.93):
                continue
            ts, first = question[0], None
            for _ in range(1 + (rng.random() < 0.3)):
                ts += 40 + int(rng.lognormvariate(math.log(1500), 1.1))
                helper = self._helper(pools[chan], ts, asker)
                if helper is None:
                    break
                text = rng.choice(texts.TOPICS[topic][lang + "_a"])
                answer = self._add(ts, chan, ActivityKind.REPLY, helper, text, target=question)
                first = first or answer
            if first is not None and rng.random() < 0.4:
                ts = first[0] + 30 + int(rng.lognormvariate(math.log(600), 0.9))
                if asker.start <= ts < asker.stop:
                    text = rng.choice(texts.THANKS[lang])
                    self._add(ts, chan, ActivityKind.REPLY, asker, text, target=first)

    def _helper(
        self, pool: tuple[list[_Member], list[float]], ts: int, asker: _Member
    ) -> _Member | None:
        """Someone of the channel who is around at ``ts`` and still engaged, if any."""
        members, cum_weights = pool
        if not members:
            return None
        t = (ts - self.day_starts[0]) / 86400
        for member in self.rng.choices(members, cum_weights=cum_weights, k=8):
            engaged = max(0.1, math.exp(-(t - member.arrival) / member.fade))
            if member is not asker and member.start <= ts < member.stop:
                if self.rng.random() < engaged:
                    return member
        return None

    def _converse(self) -> None:
        """Place replies and reactions on recent messages of the same channel."""
        rng = self.rng
        lines: list[list[_Event]] = [[] for _ in CHANNELS]
        for event in sorted(self.events):
            if event[3] in MESSAGE_KINDS and event[8] is None and event[4].segment != "spammer":
                lines[event[2]].append(event)
        clocks = [[event[0] for event in line] for line in lines]
        for ts, member, action in self.pending:
            chan = _HELP if member.source == "discord" and rng.random() < 0.3 else member.home
            line, clock = lines[chan], clocks[chan]
            newest = bisect_left(clock, ts)
            oldest = bisect_left(clock, ts - (14400 if action == "reply" else 86400))
            target = None
            if newest > oldest:
                back = int(rng.expovariate(0.35 if action == "reply" else 0.1))
                target = line[newest - 1 - min(back, newest - oldest - 1)]
                target = None if target[4] is member else target
            if target is None:
                if action == "reply":  # nobody to answer: say something instead
                    self._act(member, ts, bisect_right(self.day_starts, ts) - 1, "root")
            elif action == "reply":
                text = rng.choice(texts.REPLIES[member.lang])
                self._add(ts, chan, ActivityKind.REPLY, member, text, target=target)
            elif member.source == "wechat":  # no reactions on WeChat: some type one
                if rng.random() < 0.3:
                    text = rng.choice(texts.SHORT_ACKS)
                    self._add(ts, chan, ActivityKind.REPLY, member, text, target=target)
            else:
                attrs = {"emoji": rng.choice(texts.REACTION_EMOJI)}
                self._add(ts, chan, ActivityKind.REACTION, member, target=target, attrs=attrs)

    # -- plumbing -----------------------------------------------------------------------

    def _clock(self, day: int) -> int:
        """A UTC second on local ``day``, at an hour drawn from the daily rhythm."""
        cum_weights = _HOURS_CW[self.dates[day].weekday() >= 5]
        hour = bisect_right(cum_weights, self.rng.random() * cum_weights[-1])
        start, length = self.day_starts[day], self.day_starts[day + 1] - self.day_starts[day]
        return start + min(hour * 3600 + self.rng.randrange(3600), length - 1)

    def _add(
        self,
        ts: int,
        chan: int,
        kind: ActivityKind,
        member: _Member,
        text: str = "",
        target: _Event | None = None,
        attrs: dict[str, Any] | None = None,
        topic: tuple[str, str] | None = None,
    ) -> _Event:
        event = [ts, len(self.events), chan, kind, member, text, target, attrs, topic, None]
        self.events.append(event)
        return event

    def _name_events(self) -> None:
        """External ids in each platform's shape, unique per channel, rising with time."""
        counters = [0] * len(CHANNELS)
        for event in self.events:
            chan = event[2]
            counters[chan] += 1
            n, source = counters[chan], CHANNELS[chan][0]
            if event[3] == ActivityKind.REACTION:
                event[9] = f"{event[6][9]}/r{n}"
            elif source == "telegram":
                event[9] = str(1000 + n)
            elif source == "discord":
                ms = event[0] * 1000 + (n >> 12) % 1000
                event[9] = str(((ms - _DISCORD_EPOCH_MS) << 22) | (1 << 17) | (n & 4095))
            else:
                event[9] = str(8_400_000_000_000_000_000 + n * 7919 + self.rng.randrange(7919))

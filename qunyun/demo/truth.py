"""The truth the demo generator planted, recomputed from its own events.

Kept apart from :mod:`qunyun.demo.generator` so that each module reads in one sitting;
tests and ``qunyun demo`` compare Qunyun's figures with this.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict
from datetime import UTC, datetime

from qunyun.activity.kinds import ACTIVE_KINDS, MESSAGE_KINDS, ActivityKind
from qunyun.demo import texts
from qunyun.demo.generator import _MESSAGE, _REPLY, DemoPlan, _Community, _Member


def ground_truth(plan: DemoPlan) -> dict:
    """The truth the generator planted, JSON-serialisable (same plan → same dict).

    Days are calendar days in ``plan.time_zone``. Active on a day: an ACTIVE_KINDS
    activity; new: the day of a member's first activity of any kind; a question: a root
    message that ``texts.is_question``, unanswered without a reply by someone else;
    silent: joined in the window and never wrote; churned: left inside the window (on
    WeChat, silently). Members include bots and spammers; surge times are UTC.
    """
    community = _Community(plan)
    starts, days = community.day_starts, plan.days
    active: list[set[_Member]] = [set() for _ in range(days)]
    new, messages = [0] * days, [0] * days
    seen: set[_Member] = set()
    joined, spoke, asked, answered = set(), set(), set(), set()
    for event in community.events:
        ts, _, _, kind, member, text, target = event[:7]
        day = bisect_right(starts, ts) - 1
        if member not in seen:
            seen.add(member)
            new[day] += 1
        if kind in ACTIVE_KINDS:
            active[day].add(member)
        if kind in MESSAGE_KINDS:
            messages[day] += 1
            spoke.add(member)
        if kind == ActivityKind.JOIN:
            joined.add(member)
        elif kind == _MESSAGE and texts.is_question(text):
            asked.add(id(event))
        elif kind == _REPLY and target[4] is not member:
            answered.add(id(target))
    cast, (surge_start, surge_end) = community.members, community.surge
    return {
        "daily": [
            {
                "date": community.dates[d].isoformat(),
                "active_members": len(active[d]),
                "new_members": new[d],
                "messages": messages[d],
            }
            for d in range(days)
        ],
        "members_total": len(seen),
        "messages_total": sum(messages),
        "planted": {
            "complaint_surge": {"start": _iso(surge_start), "end": _iso(surge_end)},
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
        "plan": asdict(plan) | {"end": plan.end.isoformat()},
    }


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()

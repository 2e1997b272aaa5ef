"""Questions and how fast the community answers them (docs/metrics.md, "Questions").

Reads the raw activities (the drill-down level: a response is a link between two
messages, which no rollup keeps), filtered to human messages in the window first.
A **question** is a message or reply with ``is_question`` (:mod:`qunyun.analytics.
questions`) by a member who is not a bot. Its **first response** is the earliest message
or reply, on or before the window's end, by another member who is not a bot that:

* in a channel with reply links (any ``reply`` activity in the channel up to the end):
  replies to it — same channel, ``reply_to`` = the question's external id — at or
  after the question, with no time limit;
* in a channel without reply links (e.g. WeChat exports): is written in the same
  channel — and the same thread when the question has one — after the question in the
  channel's order (time, then id) and at most 24 hours after it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import Table

from qunyun.activity.kinds import MESSAGE_KINDS
from qunyun.analytics.backend import execute_rows
from qunyun.analytics.kpi_types import Questions, UnansweredQuestion
from qunyun.analytics.metrics import in_channel, metric

#: In a channel without reply links, the next message by someone else within this long.
UNLINKED_RESPONSE_WINDOW = timedelta(hours=24)
#: Unanswered questions the KPIs keep (the newest; the page shows a few of them). Their
#: number is ``total - answered``; :func:`unanswered_questions` gives every one.
UNANSWERED_LISTED = 200


def human_messages(activities: Table, members: Table, start: date, end: date) -> Table:
    """Messages and replies by members who are not bots, on the days [start, end]."""
    t = activities.filter(
        [
            activities.kind.isin(sorted(str(k) for k in MESSAGE_KINDS)),
            activities.day.between(start, end),
        ]
    )
    humans = members.filter(~members.is_bot).select("member_id")
    return t.join(humans, "member_id")


@metric
def questions_with_first_response(
    activities: Table, members: Table, member_day: Table, start: date, end: date
) -> Table:
    """Each question asked on the days [start, end] with its first response's time.

    Columns: activity_id, member_id, channel_id, occurred_at, first_response_at (null when
    unanswered by the end of ``end``). Definitions in the module docstring.
    """
    written = human_messages(activities, members, start, end)
    questions = _questions(written)
    linked = _channels_with_reply_links(member_day, end)
    unlinked = questions.anti_join(linked, questions.q_channel == linked.l_channel)
    candidates = _linked_replies(questions, written).union(_next_messages(unlinked, written))
    first = candidates.group_by("q_id").aggregate(first_response_at=candidates.response_at.min())
    result = questions.left_join(first, "q_id")
    return result.select(
        activity_id=result.q_id,
        member_id=result.q_member,
        channel_id=result.q_channel,
        occurred_at=result.q_at,
        first_response_at=result.first_response_at,
    )


def _questions(written: Table) -> Table:
    """The questions among the human messages ``written``, their columns named ``q_*``."""
    asked = written.filter(written.is_question)
    return asked.select(
        q_id=asked.id,
        q_member=asked.member_id,
        q_channel=asked.channel_id,
        q_at=asked.occurred_at,
        q_external=asked.external_id,
        q_thread=asked.thread,
    )


def _channels_with_reply_links(member_day: Table, end: date) -> Table:
    """The channels (``l_channel``) with any reply up to ``end``."""
    linked_md = member_day.filter([member_day.n_replies > 0, member_day.day <= end])
    return linked_md.select(l_channel=linked_md.channel_id).distinct()


def _linked_replies(questions: Table, written: Table) -> Table:
    """Responses by link (q_id, response_at): replies to a question by someone else, at
    or after it, in its channel."""
    # Only messages that reply to something can answer by link.
    replying = written.filter([written.reply_to.notnull(), written.reply_to != ""])
    replies = questions.join(
        replying,
        [
            questions.q_channel == replying.channel_id,
            questions.q_external == replying.reply_to,
        ],
    )
    return replies.filter(
        [replies.member_id != replies.q_member, replies.occurred_at >= replies.q_at]
    ).select("q_id", response_at=replies.occurred_at)


def _next_messages(unlinked: Table, written: Table) -> Table:
    """Responses by the next message (q_id, response_at) to the ``unlinked`` questions
    (those in channels without reply links): the first message by someone else after
    the question in its channel's stream (its thread's, for a question in a thread),
    within :data:`UNLINKED_RESPONSE_WINDOW`."""
    # The streams of the channels without reply links where questions were asked, the
    # only ones that answer by the next message (none when every channel has links).
    asked_in = unlinked.select(u_channel=unlinked.q_channel).distinct()
    unlinked_written = written.semi_join(asked_in, written.channel_id == asked_in.u_channel)
    window = ibis.interval(seconds=int(UNLINKED_RESPONSE_WINDOW.total_seconds()))
    nexts = []
    for threaded in (False, True):
        # The first message by someone else after a question is the first message of the
        # next "run" (consecutive messages by one author) in the channel's stream — the
        # thread's stream for a question in a thread. Windows, not a join of every
        # question with every message: this stays linear at millions of messages.
        keys = ["channel_id", "thread"] if threaded else ["channel_id"]
        in_thread = unlinked_written.thread.notnull() & (unlinked_written.thread != "")
        stream = _runs(unlinked_written.filter(in_thread) if threaded else unlinked_written, keys)
        has_thread = unlinked.q_thread.notnull() & (unlinked.q_thread != "")
        asked_here = unlinked.filter(has_thread if threaded else ~has_thread)
        joined = asked_here.join(stream, asked_here.q_id == stream.id)
        nexts.append(
            joined.filter(
                [
                    joined.next_run_at.notnull(),
                    joined.next_run_at <= joined.q_at + window,
                ]
            ).select("q_id", response_at=joined.next_run_at)
        )
    return nexts[0].union(nexts[1])


def _runs(written: Table, keys: list[str]) -> Table:
    """Each message with the time of the first message of the next run in its stream.

    A run is a stretch of consecutive messages by one author within ``keys`` (ordered by
    time, then id); ``next_run_at`` is null for the last run.
    """
    order = [written.occurred_at, written.id]
    w = ibis.window(group_by=keys, order_by=order)
    t = written.mutate(previous_author=written.member_id.lag().over(w))
    starts = (t.previous_author.isnull() | (t.previous_author != t.member_id)).cast("int64")
    t = t.mutate(new_run=starts)
    t = t.mutate(
        run=t.new_run.sum().over(
            ibis.window(group_by=keys, order_by=[t.occurred_at, t.id], preceding=None, following=0)
        )
    )
    runs = t.group_by([*keys, "run"]).aggregate(run_at=t.occurred_at.min())
    runs = runs.mutate(
        next_run_at=runs.run_at.lead().over(ibis.window(group_by=keys, order_by=runs.run))
    )
    joined = t.join(runs, [*keys, "run"])
    return joined.select("id", "next_run_at")


def questions_section(
    activities: Table,
    members: Table,
    member_day: Table,
    start: date,
    end: date,
    channel_id: int | None = None,
) -> Questions:
    """Totals, answered shares, median time to first response and the unanswered list."""
    return summarise_questions(
        questions_frame(activities, members, member_day, start, end, channel_id)
    )


def questions_frame(
    activities: Table,
    members: Table,
    member_day: Table,
    start: date,
    end: date,
    channel_id: int | None = None,
) -> pd.DataFrame:
    """One row per question asked on the days [start, end] (in the channel, when given),
    with its first response's time (:func:`questions_with_first_response`)."""
    return execute_rows(
        questions_with_first_response(
            in_channel(activities, channel_id), members, member_day, start, end
        )
    )


def unanswered_questions(frame: pd.DataFrame, limit: int | None = None) -> list[UnansweredQuestion]:
    """The questions of ``frame`` without a first response, newest first (ties: the
    higher activity id first); the newest ``limit`` of them, or all when None."""
    open_ = frame[frame["first_response_at"].isna()]
    open_ = open_.sort_values(["occurred_at", "activity_id"], ascending=False)
    if limit is not None:
        open_ = open_.head(limit)
    return [
        UnansweredQuestion(
            activity_id=int(row.activity_id),
            member_id=int(row.member_id),
            channel_id=int(row.channel_id),
            occurred_at=_utc(row.occurred_at).isoformat(),
        )
        for row in open_.itertuples()
    ]


def summarise_questions(frame: pd.DataFrame) -> Questions:
    """The section from one row per question (activity_id, member_id, channel_id,
    occurred_at, first_response_at or null)."""
    total = len(frame)
    waited = (
        pd.to_datetime(frame["first_response_at"], utc=True)
        - pd.to_datetime(frame["occurred_at"], utc=True)
    ).dt.total_seconds() / 60
    answered = waited.notna()
    return {
        "total": total,
        "answered": int(answered.sum()),
        "answered_1h_share": _share(int((waited <= 60).sum()), total),
        "answered_24h_share": _share(int((waited <= 24 * 60).sum()), total),
        "median_first_response_minutes": (
            round(float(waited[answered].median()), 1) if answered.any() else None
        ),
        "unanswered": unanswered_questions(frame, UNANSWERED_LISTED),
    }


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

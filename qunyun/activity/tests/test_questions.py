"""Questions: the detection rules on a table of zh and en messages, then who answers and
how fast, on hand-built chats (docs/metrics.md, "Questions")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qunyun.activity.models import Activity, Channel
from qunyun.activity.questions import _TWO_LETTERS, asks_question, is_question
from qunyun.analytics.selectors import workspace_kpis
from qunyun.conftest import utc
from qunyun.demo import texts
from qunyun.demo.generator import DemoPlan, generate
from qunyun.demo.truth import ground_truth
from qunyun.ingest.pipeline import do_import_records
from qunyun.ingest.records import ActivityKind as K
from qunyun.ingest.records import ActivityRecord, PersonRef

QUESTIONS = [
    # question marks
    "这个功能在哪设置？",
    "Sync is broken again?",
    "明天几点开始",  # 几点
    # 吗 / 呢 / 么 ending a sentence
    "你们有人用过安卓版吗",
    "有人知道吗。我找了半天",
    "那我的数据呢~",
    "可以导出 PDF 么！",
    # Chinese interrogative words anywhere
    "怎么导出笔记",
    "如何开启双重验证",
    "为什么同步这么慢",
    "有没有人遇到同样的问题",
    "能不能加个夜间模式",
    "是不是服务器挂了",
    "备份文件存在哪里",
    "选哪个套餐比较好",
    "会员多少钱一个月",
    "请问客服电话",
    "求助：登录一直失败",
    "为啥我收不到验证码",
    # English openers at a sentence start
    "How do I export my notes",
    "what is the limit for attachments",
    "Why does it log me out every day",
    "Thanks. Where can I find the API key",
    "Who runs the meetup in Berlin",
    "Which plan includes the API",
    "When is the next release",
    "Can someone help me with the import",
    "Could you share the slides",
    "Does the web app work offline",
    "Is there a dark mode",
    "Anyone tried the new Canvas view",
    "any idea why the upload stops at 99%",
    "哈哈 真的吗",  # the laughter goes, 真的吗 stays
]

NOT_QUESTIONS = [
    "今天天气不错",
    "已经修好了，谢谢大家",
    "这个东西不怎么好用",  # 不怎么: "not very"
    "无论如何都要试试",
    "没什么，小问题",
    "那么就这样吧",
    "多多少少有点影响",
    "么么哒",
    "你看看是不是开了省电模式",  # indirect: "check whether"
    "哈哈哈？",  # laughter with a mark: a reaction
    "？？？",
    "lol?",
    "详情见 https://example.com/faq?lang=zh",  # a ? inside a URL
    "Thanks, that worked",
    "The new release is great",
    "What a day!",
    "How cool is that",
    "Who cares",
    "Can't wait for the meetup",
    "When I open it, it crashes",  # "when" without an auxiliary is a clause
    "I wonder how people manage",  # "how" not at a sentence start
    "Doing the demo now",  # "do" only as "do you"
    "",
    "   ",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_these_read_as_questions(text: str) -> None:
    assert is_question(pa.array([text])).to_pylist() == [True]


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_these_do_not(text: str) -> None:
    assert is_question(pa.array([text])).to_pylist() == [False]


def test_a_missing_text_is_not_a_question() -> None:
    assert is_question(pa.array([None, "请问怎么退款"], pa.string())).to_pylist() == [False, True]


def test_the_rule_agrees_with_the_demo_generator_on_its_question_banks() -> None:
    banks = [
        text
        for topic in texts.TOPICS.values()
        for key in ("zh_q", "en_q", "zh_a", "en_a")
        for text in topic[key]
    ]

    found = is_question(pa.array(banks)).to_pylist()

    # (the planted answer "看看是不是…" holds 是不是 but does not ask: the exclusion)
    assert found == [texts.is_question(t) for t in banks]
    assert sum(found) > 50


# Fragments that the rule looks for or cleans away, glued at random: texts at the rule's
# edges (a particle before a URL, laughter inside an opener, two letters or one, …).
_FRAGMENTS = [
    *QUESTIONS, *NOT_QUESTIONS, "吗", "呢", "么", "?", "？", "。", ".", "!", " ", "\n", "~",
    "http://x.cn/a?b=1", "www.a.b", "哈哈", "2333", "haha", "lol", "what a ", "how cool",
    "who cares", "do", "you", "Do You ", "is", "there", "any", "不怎么", "那么", "怎", "么么哒",
    "a", "1", "中", "😀", "\u200b", "\u202e",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=6).map("".join), max_size=40))
def test_skipping_texts_that_hold_nothing_that_asks_changes_no_answer(texts: list[str]) -> None:
    every_text = pc.utf8_lower(pa.array(texts, pa.string()))
    assert is_question(pa.array(texts, pa.string())).to_pylist() == (
        asks_question(every_text).to_pylist()
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(max_size=8)
        | st.text(
            st.sampled_from(["a", "中", "٣", "\n", "\r", " ", "?", "😀", "\u0301"]), max_size=8
        ),
        max_size=40,
    )
)
def test_two_letters_are_found_as_counting_would_find_them(texts: list[str]) -> None:
    array = pa.array(texts, pa.string())
    counted = pc.greater_equal(pc.count_substring_regex(array, r"[\p{L}\p{N}]"), 2)
    assert pc.match_substring_regex(array, _TWO_LETTERS).to_pylist() == counted.to_pylist()


# -- first responses ------------------------------------------------------------------------

T = utc(2026, 3, 16, 2)  # Monday 10:00 in Shanghai


def load(workspace, records) -> None:
    do_import_records(workspace, records, file_name="t", format_name="jsonl")


def said(
    external_id: str,
    when: datetime,
    person: str,
    text: str = "",
    *,
    channel: str = "g1",
    source: str = "telegram",
    reply_to: str | None = None,
    thread: str | None = None,
    bot: bool = False,
) -> ActivityRecord:
    return ActivityRecord(
        source=source,
        channel=channel,
        external_id=external_id,
        kind=K.REPLY if reply_to else K.MESSAGE,
        occurred_at=when,
        author=PersonRef(external_id=person, display_name=person, is_bot=bot),
        text=text,
        reply_to=reply_to,
        thread=thread,
    )


def linked_chat() -> list[ActivityRecord]:
    """A Telegram chat with reply links: q1 answered in 59 min, q2 in 61, q3 and q4 not."""
    m = timedelta(minutes=1)
    return [
        said("q1", T, "a", "请问怎么导出？"),
        said("n1", T + 2 * m, "c", "顺便说一句，今天更新了"),  # not a reply: no answer
        said("r1", T + 59 * m, "b", "设置里有导出", reply_to="q1"),
        said("q2", T + 2 * 60 * m, "a", "How do I log in"),
        said("r2", T + 3 * 60 * m + m, "c", "Use the app", reply_to="q2"),
        said("r2b", T + 3 * 60 * m + 5 * m, "b", "Or the web", reply_to="q2"),
        said("q3", T + 4 * 60 * m, "b", "有没有人用过 Canvas"),
        said("r3", T + 4 * 60 * m + m, "b", "自己顶一下", reply_to="q3"),  # own reply
        said("r3b", T + 4 * 60 * m + 2 * m, "bot", "FAQ: …", reply_to="q3", bot=True),
        said("q4", T + 5 * 60 * m, "c", "Anyone at the meetup tomorrow"),
        said("s1", T + 6 * 60 * m, "a", "Thanks everyone"),
        said("s2", T + 6 * 60 * m + m, "b", "Welcome", reply_to="s1"),  # not a question
        said("qb", T + 7 * 60 * m, "bot", "Did you read the rules?", bot=True),  # a bot asks
    ]


def test_time_to_first_response_and_the_unanswered_list(workspace) -> None:
    load(workspace, linked_chat())

    questions = workspace_kpis(workspace)["questions"]

    ids = dict(Activity.objects.values_list("external_id", "id"))
    members = dict(Activity.objects.values_list("external_id", "member_id"))
    g1 = Channel.objects.get(external_id="g1").pk
    assert questions["total"] == 4
    assert questions["answered"] == 2
    assert questions["answered_1h_share"] == 0.25  # q1 at 59 min; q2's 61 min is too late
    assert questions["answered_24h_share"] == 0.5
    assert questions["median_first_response_minutes"] == 60.0  # (59 + 61) ÷ 2
    assert questions["unanswered"] == [
        {
            "activity_id": ids["q4"],
            "member_id": members["q4"],
            "channel_id": g1,
            "occurred_at": "2026-03-16T07:00:00+00:00",
        },
        {  # answered only by the asker and a bot
            "activity_id": ids["q3"],
            "member_id": members["q3"],
            "channel_id": g1,
            "occurred_at": "2026-03-16T06:00:00+00:00",
        },
    ]


def test_a_reply_after_as_of_does_not_count_yet(workspace) -> None:
    load(
        workspace,
        [
            said("q1", utc(2026, 3, 16, 2), "a", "怎么退款"),
            said("r1", utc(2026, 3, 17, 2), "b", "找客服", reply_to="q1"),
        ],
    )

    before = workspace_kpis(workspace, as_of=date(2026, 3, 16))["questions"]
    after = workspace_kpis(workspace, as_of=date(2026, 3, 17))["questions"]

    assert (before["answered"], [q["activity_id"] for q in before["unanswered"]]) == (
        0,
        [Activity.objects.get(external_id="q1").id],
    )
    assert (after["answered"], after["median_first_response_minutes"]) == (1, 1440.0)
    assert after["answered_24h_share"] == 1.0


def test_in_a_chat_without_reply_links_the_next_message_within_24_hours_answers(
    workspace,
) -> None:
    h, m = timedelta(hours=1), timedelta(minutes=1)

    def wechat(*args: Any, **kwargs: Any) -> ActivityRecord:
        return said(*args, channel="room", source="wechat", **kwargs)

    load(
        workspace,
        [
            wechat("w1", T, "x", "有没有人知道怎么退款"),
            wechat("w2", T + 0.5 * h, "x", "急"),  # the asker again: no
            wechat("w3", T + 0.75 * h, "y", "找客服"),  # 45 min
            wechat("w4", T + 2 * h, "x", "发票怎么开"),
            wechat("w5", T + 27 * h, "x", "还在吗"),  # y answers in 60 min, not the bot
            wechat("w6", T + 27 * h + 6 * m, "bot", "自动回复", bot=True),
            wechat("w7", T + 28 * h, "y", "明天问问"),  # 26 h after w4: too late
            # in a thread, only the same thread answers
            wechat("t1", T + 30 * h, "x", "how do I reset", thread="T1"),
            wechat("t2", T + 30 * h + 5 * m, "y", "hi", thread="T2"),
            wechat("t3", T + 30 * h + 10 * m, "z", "settings", thread="T1"),
        ],
    )

    questions = workspace_kpis(workspace)["questions"]
    ids = dict(Activity.objects.values_list("external_id", "id"))

    assert questions["total"] == 4  # w1, w4, w5, t1
    assert questions["answered"] == 3  # w1 in 45 min, w5 by y in 60 min, t1 in 10 min
    assert questions["median_first_response_minutes"] == 45.0
    assert questions["answered_1h_share"] == 0.75
    assert [q["activity_id"] for q in questions["unanswered"]] == [ids["w4"]]


def test_questions_follow_the_channel_filter(workspace) -> None:
    load(
        workspace,
        [
            *linked_chat(),
            said("w1", T, "x", "有没有人知道怎么退款", channel="room", source="wechat"),
        ],
    )
    room = Channel.objects.get(external_id="room").pk

    questions = workspace_kpis(workspace, channel_id=room)["questions"]

    assert (questions["total"], questions["answered"]) == (1, 0)
    assert [q["channel_id"] for q in questions["unanswered"]] == [room]


def test_the_demo_questions_and_unanswered_ones_match_what_the_generator_planted(
    workspace,
) -> None:
    plan = DemoPlan(members=200, days=30)  # 30 days: the questions window is the whole demo
    load(workspace, generate(plan))
    planted = ground_truth(plan)["planted"]

    questions = workspace_kpis(workspace)["questions"]

    assert questions["total"] == planted["questions"]
    assert len(questions["unanswered"]) == planted["unanswered_questions"]
    assert questions["answered"] == planted["questions"] - planted["unanswered_questions"]

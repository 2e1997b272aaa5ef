"""The Slack importer reads real-shaped workspace exports into what an operator counts.

The ZIPs are built from the fixture folders (see :mod:`.exports`): a 2016 export of a
free workspace and a 2025 export of a paid one, both with Chinese and English content.
"""

from __future__ import annotations

from codecs import BOM_UTF8
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.slack.parser import parse
from qunyun.ingest.platforms.slack.tests.exports import (
    EXPORT_2016,
    EXPORT_2025,
    assert_valid,
    folder_members,
    message,
    small_export,
    write_zip,
    zip_fixture,
)
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

PARENT = "1736478630.905399"
TOMBSTONE = "1736640000.000100"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def export_2016(tmp_path: Path) -> list[ChannelRecord | ActivityRecord]:
    return list(parse(zip_fixture(tmp_path, EXPORT_2016)))


@pytest.fixture
def export_2025(tmp_path: Path) -> list[ChannelRecord | ActivityRecord]:
    return list(parse(zip_fixture(tmp_path, EXPORT_2025)))


def by_id(records: list[Any], channel: str) -> dict[str, ActivityRecord]:
    return {
        r.external_id: r for r in records if isinstance(r, ActivityRecord) and r.channel == channel
    }


def kinds(records: list[Any]) -> Counter[ActivityKind]:
    return Counter(r.kind for r in records if isinstance(r, ActivityRecord))


def test_the_registry_finds_the_slack_parser() -> None:
    assert get_parser("slack") is parse


def test_a_2016_export_yields_each_channel_before_its_activities(
    export_2016: list[Any],
) -> None:
    assert_valid(export_2016)
    assert [r for r in export_2016 if isinstance(r, ChannelRecord)] == [
        ChannelRecord("slack", "C0BMQB6JG", "general", "public_channel"),
        ChannelRecord("slack", "C0BMQB6JL", "random", "public_channel"),
        # archived and empty, but a channel of the workspace all the same
        ChannelRecord("slack", "C0BN0EMPT", "old-archive", "public_channel"),
    ]
    assert kinds(export_2016) == {
        ActivityKind.MESSAGE: 7,
        ActivityKind.REACTION: 5,
        ActivityKind.JOIN: 3,
        ActivityKind.LEAVE: 1,
        ActivityKind.SERVICE: 1,
    }
    assert Counter(r.channel for r in export_2016 if isinstance(r, ActivityRecord)) == {
        "C0BMQB6JG": 11,
        "C0BMQB6JL": 6,
    }


def test_a_2025_export_reads_private_channels_group_dms_and_dms_with_messages(
    export_2025: list[Any],
) -> None:
    assert_valid(export_2025)
    assert [r for r in export_2025 if isinstance(r, ChannelRecord)] == [
        ChannelRecord("slack", "C07GENERAL", "general", "public_channel"),
        ChannelRecord("slack", "C07DEVCHAN", "dev-开发", "public_channel"),  # day file with BOM
        ChannelRecord("slack", "G07CORETEAM", "core-team", "private_channel"),
        ChannelRecord("slack", "G07MPIM0001", "mpdm-li.wei--anna--zhang.san-1", "mpim"),
        # a DM has no name: it is named after its members; the DM without messages is left out
        ChannelRecord("slack", "D07LIANNA1", "李伟, Anna Schmidt", "im"),
    ]
    assert (EXPORT_2025 / "dev-开发" / "2025-01-12.json").read_bytes().startswith(BOM_UTF8)
    assert kinds(export_2025) == {
        ActivityKind.MESSAGE: 9,
        ActivityKind.REPLY: 4,
        ActivityKind.REACTION: 3,
        ActivityKind.JOIN: 3,
        ActivityKind.LEAVE: 2,
        ActivityKind.SERVICE: 5,
    }


def test_times_come_from_ts_in_utc_and_keep_microseconds(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    welcome = by_id(export_2016, "C0BMQB6JG")["1452837400.000004"]
    parent = by_id(export_2025, "C07GENERAL")[PARENT]

    assert welcome.occurred_at == datetime(2016, 1, 15, 5, 56, 40, 4, tzinfo=UTC)
    assert parent.occurred_at == datetime(2025, 1, 10, 3, 10, 30, 905399, tzinfo=UTC)
    assert welcome.attrs["edited_at"] == "2016-01-15T05:57:40+00:00"


def test_a_thread_links_its_replies_and_broadcasts_to_the_parent(export_2025: list[Any]) -> None:
    general = by_id(export_2025, "C07GENERAL")

    parent = general[PARENT]
    assert (parent.kind, parent.reply_to, parent.thread) == (ActivityKind.MESSAGE, None, PARENT)
    assert parent.attrs["reply_count"] == 3
    replies = ["1736554746.482349", "1736554783.040199", "1736554800.000100"]
    for ts in replies:
        assert (general[ts].kind, general[ts].reply_to, general[ts].thread) == (
            ActivityKind.REPLY,
            PARENT,
            PARENT,
        )
    assert general["1736554783.040199"].attrs == {"broadcast": True}
    assert general["1736554800.000100"].attrs["edited_at"] == "2025-01-11T00:21:00+00:00"


def test_a_thread_whose_parent_was_deleted_keeps_its_replies_on_the_tombstone(
    export_2025: list[Any],
) -> None:
    dev = by_id(export_2025, "C07DEVCHAN")

    tombstone = dev[TOMBSTONE]
    assert (tombstone.kind, tombstone.thread) == (ActivityKind.SERVICE, TOMBSTONE)
    assert tombstone.attrs == {"action": "tombstone", "reply_count": 1}
    assert tombstone.author == PersonRef("USLACKBOT", "Slackbot", "slackbot", is_bot=True)
    assert dev["1736640100.000200"].reply_to == TOMBSTONE


def test_joins_name_the_inviter_and_leaves_are_leaves(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    general_2016 = by_id(export_2016, "C0BMQB6JG")
    core_team = by_id(export_2025, "G07CORETEAM")

    assert general_2016["1452837318.000002"].kind == ActivityKind.JOIN
    assert "inviter" not in general_2016["1452837318.000002"].attrs
    assert general_2016["1452837361.000003"].attrs["inviter"] == "U0BMQB6JE"
    assert (
        core_team["1736470000.000100"].kind,
        core_team["1736470000.000100"].attrs["inviter"],
    ) == (
        ActivityKind.JOIN,
        "U07LIWEI01",
    )
    assert core_team["1736470200.000300"].kind == ActivityKind.LEAVE
    assert by_id(export_2016, "C0BMQB6JL")["1452838000.000004"].kind == ActivityKind.LEAVE


def test_bots_are_named_by_username_bot_profile_or_their_bot_user(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    general_2016 = by_id(export_2016, "C0BMQB6JG")
    general_2025 = by_id(export_2025, "C07GENERAL")

    # 2016: no "user" at all, only bot_id and username; content only in attachments
    github = general_2016["1452837600.000006"]
    assert (github.kind, github.author) == (
        ActivityKind.MESSAGE,
        PersonRef("B0BMTLHG1", "github", is_bot=True),
    )
    assert (github.text, github.attrs["attachments"]) == ("", 1)
    # no username: the bot user whose profile carries that bot_id names it
    assert general_2016["1452920200.000004"].author == PersonRef(
        "B0BNBOT01", "群运机器人", is_bot=True
    )
    assert general_2025["1736557200.000200"].author == PersonRef(
        "B07QYBOT04", "qunyun-helper", is_bot=True
    )
    # an app user posting without subtype is the app user, a bot
    calendar = by_id(export_2025, "C07DEVCHAN")["1736640400.000500"]
    assert (calendar.author.external_id, calendar.author.is_bot) == ("U07APPUS05", True)


def test_an_incoming_webhook_without_bot_id_is_a_bot_named_only(tmp_path: Path) -> None:
    hook = {"type": "message", "subtype": "bot_message", "ts": "1.000001", "username": "RSS 订阅"}

    [_channel, record] = parse(small_export(tmp_path, hook))

    assert isinstance(record, ActivityRecord)
    assert record.author == PersonRef(None, "RSS 订阅", is_bot=True)


def test_each_reacting_member_is_one_reaction_and_the_totals_stay_on_the_message(
    export_2025: list[Any],
) -> None:
    general = by_id(export_2025, "C07GENERAL")

    assert general[PARENT].attrs["reactions"] == {"tada": 2, "+1::skin-tone-2": 3}
    reactions = {k: r for k, r in general.items() if r.kind == ActivityKind.REACTION}
    assert set(reactions) == {
        f"{PARENT}:reaction:tada:U07ANNA002",
        f"{PARENT}:reaction:tada:U07ZHANG03",
        f"{PARENT}:reaction:+1::skin-tone-2:U07ANNA002",
    }
    tada = reactions[f"{PARENT}:reaction:tada:U07ZHANG03"]
    assert (tada.reply_to, tada.thread, tada.occurred_at) == (
        PARENT,
        PARENT,
        general[PARENT].occurred_at,
    )
    assert (tada.author.display_name, tada.attrs) == ("张三", {"emoji": "tada"})


def test_a_member_listed_twice_under_one_emoji_reacts_once(tmp_path: Path) -> None:
    twice = message(reactions=[{"name": "eyes", "users": ["U07ANNA002", "U07ANNA002"], "count": 2}])

    records = list(parse(small_export(tmp_path, twice)))

    assert [r.external_id for r in records if r.kind == ActivityKind.REACTION] == [
        f"{PARENT}:reaction:eyes:U07ANNA002"
    ]
    assert_valid(records)


def test_text_keeps_mrkdwn_and_mention_ids_and_undoes_only_slacks_escaping(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    general_2016 = by_id(export_2016, "C0BMQB6JG")

    quoted = general_2016["1452837700.000007"]
    assert quoted.text == "<b>not bold</b> — <@U0BMQB6JE|wangfang> 你好 :wave:\n> quoted 引用"
    assert quoted.attrs == {"mentions": ["U0BMQB6JE"]}
    assert general_2016["1452837400.000004"].text == "大家好！欢迎来到群运社区 & welcome to Qunyun"
    parent = by_id(export_2025, "C07GENERAL")[PARENT]
    assert parent.text.endswith("<https://qunyun.dev/releases/0.2|0.2 发布说明> cc <@U07ANNA002>")
    assert parent.attrs["mentions"] == ["U07ANNA002"]
    assert parent.attrs["links"] == ["https://qunyun.dev/releases/0.2"]
    hostile = by_id(export_2025, "C07GENERAL")["1736554746.482349"]
    assert hostile.text == "恭喜 :tada: 我来试试 <script>alert(1)</script>"


def test_escaped_brackets_typed_by_a_person_are_not_mentions(tmp_path: Path) -> None:
    typed = message(text="&lt;@U07ANNA002&gt; &amp;lt; &quot;x&quot; &#39;y&#39;")

    [_channel, record] = parse(small_export(tmp_path, typed))

    assert isinstance(record, ActivityRecord)
    assert record.text == "<@U07ANNA002> &lt; &quot;x&quot; &#39;y&#39;"
    assert "mentions" not in record.attrs


def test_members_are_named_from_their_profile_and_deleted_ones_stay(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    general_2016 = by_id(export_2016, "C0BMQB6JG")
    general_2025 = by_id(export_2025, "C07GENERAL")

    # display_name, else the profile's real name, else real_name, else the handle
    li = general_2025[PARENT].author
    assert (li.display_name, li.handle, li.email) == ("李伟", "li.wei", "")
    assert li.avatar_hash == "giwei01"
    assert general_2025["1736479000.000300"].author.display_name == "Anna Schmidt"
    assert by_id(export_2016, "C0BMQB6JL")["1452837800.000003"].author == PersonRef(
        "U0BMZ3YAZ", "lilei", "lilei", avatar_hash="ge3b51ca72de"
    )
    wangfang = general_2016["1452837318.000002"].author
    assert (wangfang.display_name, wangfang.email) == ("王芳", "wangfang@example.com")
    # deleted users keep their id and name
    bob = general_2016["1452920000.000002"].author
    assert (bob.external_id, bob.display_name, bob.handle) == ("U0BN4ML1Q", "Bob Lee", "bob.old")
    assert general_2025["1736554800.000100"].author.display_name == "张三"


def test_a_member_of_another_workspace_is_named_by_the_messages_user_profile(
    export_2025: list[Any], tmp_path: Path
) -> None:
    external = by_id(export_2025, "C07GENERAL")["1736560100.000500"]
    [_channel, anonymous] = parse(small_export(tmp_path, message(user="U0NOPROFILE")))

    assert external.author == PersonRef(
        "U07EXTERN9", "maria", "maria.g", avatar_hash="g9f8e7d6c5b4"
    )
    assert isinstance(anonymous, ActivityRecord)
    assert anonymous.author == PersonRef("U0NOPROFILE")


def test_channel_events_are_service_activities_with_their_detail(
    export_2016: list[Any], export_2025: list[Any]
) -> None:
    general = by_id(export_2025, "C07GENERAL")
    dev = by_id(export_2025, "C07DEVCHAN")

    assert by_id(export_2016, "C0BMQB6JG")["1452837500.000005"].attrs["action"] == "bot_add"
    assert general["1736479200.000500"].attrs == {
        "action": "channel_topic",
        "topic": "发布与公告 Releases & news",
    }
    assert general["1736560200.000600"].attrs["action"] == "pinned_item"
    assert dev["1736640200.000300"].attrs == {
        "action": "channel_purpose",
        "purpose": "讨论开发 dev talk",
    }
    assert dev["1736640300.000400"].attrs == {
        "action": "channel_name",
        "old_name": "dev",
        "name": "dev-开发",
    }


def test_files_are_counted_whether_legacy_or_modern(
    export_2016: list[Any], export_2025: list[Any], tmp_path: Path
) -> None:
    general_2016 = by_id(export_2016, "C0BMQB6JG")
    [_channel, no_file] = parse(small_export(tmp_path, message(subtype="file_share")))

    assert general_2016["1452920000.000002"].attrs["files"] == 1
    assert general_2016["1452920000.000002"].kind == ActivityKind.MESSAGE
    # a 2016 file comment is said by the commenter, who is not the message's "user"
    comment = general_2016["1452920100.000003"]
    assert (comment.kind, comment.author.external_id) == (ActivityKind.MESSAGE, "U0BMYT2FL")
    # a file hidden by the plan's limit is still a file that was shared
    assert by_id(export_2025, "C07GENERAL")["1736479000.000300"].attrs == {"files": 2}
    assert isinstance(no_file, ActivityRecord) and no_file.attrs == {"files": 0}


def test_edit_events_are_not_activities(export_2025: list[Any]) -> None:
    assert "1736479100.000400" not in by_id(export_2025, "C07GENERAL")


def test_day_files_are_read_in_date_order_whatever_the_zip_order(tmp_path: Path) -> None:
    members = folder_members(EXPORT_2016)
    path = write_zip(tmp_path / "reversed.zip", dict(reversed(members.items())))

    general = [
        r.external_id
        for r in parse(path)
        if isinstance(r, ActivityRecord)
        and r.channel == "C0BMQB6JG"
        and r.kind != ActivityKind.REACTION
    ]

    assert len(general) == 9 and general == sorted(general)


def test_an_export_inside_a_top_folder_or_unpacked_reads_the_same(tmp_path: Path) -> None:
    expected = list(parse(zip_fixture(tmp_path, EXPORT_2025)))
    prefixed = zip_fixture(tmp_path, EXPORT_2025, prefix="Qunyun Slack export Jan 10 2025/")

    assert list(parse(prefixed)) == expected
    assert list(parse(EXPORT_2025)) == expected


def test_a_folder_no_listing_names_becomes_a_channel_of_that_name(tmp_path: Path) -> None:
    path = small_export(tmp_path, message(), files={"lost-channel/2025-01-11.json": [message()]})

    channels = [r for r in parse(path) if isinstance(r, ChannelRecord)]

    assert channels == [
        ChannelRecord("slack", "C0GENERAL", "general", "public_channel"),
        ChannelRecord("slack", "lost-channel", "lost-channel", ""),
    ]


def test_an_export_without_users_json_still_imports_by_id(tmp_path: Path) -> None:
    members = folder_members(EXPORT_2016)
    del members["users.json"]

    records = list(parse(write_zip(tmp_path / "no-users.zip", members)))

    assert_valid(records)
    assert by_id(records, "C0BMQB6JL")["1452837800.000003"].author == PersonRef("U0BMZ3YAZ")

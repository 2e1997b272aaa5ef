"""The Telegram importer reads real-shaped exports into the records an operator counts.

Fixtures are hand-made to match tdesktop's JSON field for field: ``supergroup.json`` is
a single-chat export from a PC in UTC+8 (forum topics, a pre-migration history, media,
a poll, reactions); ``full_account.json`` is a full export from a PC in Berlin whose
messages straddle the end of daylight saving time.

Every test runs twice: once parsing the file whole, once streaming it in reads of a few
dozen bytes, so that escapes, characters and tokens are cut at every place.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser, json_export
from qunyun.ingest.platforms.telegram import faults, loading, streaming
from qunyun.ingest.platforms.telegram.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.ingest.tests.parser_checks import kinds_per_channel

FIXTURES = Path(__file__).parent / "fixtures"
SUPERGROUP = FIXTURES / "supergroup.json"
FULL_ACCOUNT = FIXTURES / "full_account.json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True, params=["whole", "streamed"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Parse the whole file at once, or stream it in tiny reads."""
    if request.param == "streamed":
        monkeypatch.setattr(loading, "STREAM_THRESHOLD", -1)
        monkeypatch.setattr(streaming, "_BUFFER", 61)
        monkeypatch.setattr(faults, "_CHUNK", 47)
    else:
        monkeypatch.setattr(loading, "STREAM_THRESHOLD", 1 << 62)
    return str(request.param)


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "result.json"
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def chat(*messages: dict[str, Any], kind: str = "private_supergroup") -> dict[str, Any]:
    return {"name": "测试群 Test", "type": kind, "id": 777, "messages": list(messages)}


def message(msg_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "message",
        "date": "2024-09-21T20:47:30",
        "date_unixtime": "1726922850",
        "from": "Li",
        "from_id": "user1",
        "text": "hi",
        "text_entities": [{"type": "plain", "text": "hi"}],
        **fields,
    }


def test_the_registry_finds_the_telegram_parser() -> None:
    assert get_parser("telegram") is parse


def test_a_supergroup_export_yields_its_channel_first_then_every_activity() -> None:
    records = list(parse(SUPERGROUP))

    assert records[0] == ChannelRecord(
        source="telegram",
        external_id="2482670091",
        name="群运 Qunyun 开源社区",
        kind="private_supergroup",
    )
    rest = records[1:]
    assert all(isinstance(r, ActivityRecord) for r in rest)
    assert Counter(r.kind for r in rest) == {
        ActivityKind.MESSAGE: 10,
        ActivityKind.REPLY: 3,
        ActivityKind.REACTION: 3,
        ActivityKind.JOIN: 8,
        ActivityKind.LEAVE: 2,
        ActivityKind.SERVICE: 8,
    }
    assert {(r.source, r.channel) for r in rest} == {("telegram", "2482670091")}
    assert len({r.external_id for r in rest}) == len(rest)


def test_times_come_from_date_unixtime_in_utc() -> None:
    welcome = activities(SUPERGROUP)["4"]

    # date_unixtime 1726922850; the "date" field says 20:47:30, the PC's UTC+8 clock.
    assert welcome.occurred_at == datetime(2024, 9, 21, 12, 47, 30, tzinfo=UTC)
    assert welcome.attrs["edited_at"] == "2024-09-21T13:15:57+00:00"
    assert "time_is_local" not in welcome.attrs


def test_texts_made_of_entities_are_concatenated_and_their_entities_kept() -> None:
    found = activities(SUPERGROUP)

    assert found["8"].text == "Welcome @wangfang! 请先看 #新人指南"
    assert found["8"].attrs["mentions"] == ["@wangfang"]
    assert found["8"].attrs["hashtags"] == ["#新人指南"]
    assert found["14"].text == "Django 5.2 的 LTS 支持到 2028 年，详见 release notes"
    assert found["14"].attrs["links"] == ["https://docs.djangoproject.com/en/5.2/releases/5.2/"]
    assert found["7"].text == "大家好！很高兴加入 🎉"


def test_a_post_in_a_forum_topic_is_not_a_reply_but_a_reply_inside_it_stays_in_the_topic() -> None:
    found = activities(SUPERGROUP)

    assert found["3"].attrs == {"action": "topic_created", "title": "公告 Announcements"}
    assert (found["4"].kind, found["4"].reply_to, found["4"].thread) == (
        ActivityKind.MESSAGE,
        None,
        "3",
    )
    assert (found["14"].kind, found["14"].thread) == (ActivityKind.MESSAGE, "13")
    assert (found["15"].kind, found["15"].reply_to, found["15"].thread) == (
        ActivityKind.REPLY,
        "14",
        "13",
    )
    assert (found["8"].kind, found["8"].reply_to, found["8"].thread) == (
        ActivityKind.REPLY,
        "7",
        None,
    )


def test_joining_by_the_join_button_is_the_actor_and_invitees_are_named_only() -> None:
    found = activities(SUPERGROUP)

    assert found["9:join:0"].author == PersonRef("user386894381", "CoastBTC")
    assert found["10:join:0"].author == PersonRef(None, "Zhang San")
    assert found["10:join:1"].author == PersonRef(None, "Bob Lee")
    assert found["10:join:1"].attrs["invited_by"] == "user5365934951"
    assert found["6"].author == PersonRef("user5442664366", "王芳")
    assert found["6"].attrs == {"via": "join_group_by_link", "inviter": "Group"}
    assert found["27"].attrs == {"via": "join_group_by_request"}


def test_leaving_is_told_apart_from_being_removed() -> None:
    found = activities(SUPERGROUP)

    left, removed = found["20:leave:0"], found["21:leave:0"]
    assert (left.kind, left.author, left.attrs) == (
        ActivityKind.LEAVE,
        PersonRef("user5109962931", "Bob Lee"),
        {"removed": False},
    )
    assert (removed.author, removed.attrs) == (
        PersonRef(None, "Zhang San"),
        {"removed": True, "removed_by": "user5365934951"},
    )


def test_pre_migration_history_keeps_its_negative_ids() -> None:
    found = activities(SUPERGROUP)

    creator, first_member = found["-999999939:join:0"], found["-999999939:join:1"]
    assert creator.author == PersonRef("user5365934951", "李伟 Li Wei")
    assert first_member.author == PersonRef(None, "Anna Schmidt")
    assert found["-999999938"].attrs == {"action": "migrate_to_supergroup"}
    assert found["1"].author.external_id == "channel2482670091"


def test_recent_reactors_become_reactions_at_their_utc_time() -> None:
    found = activities(SUPERGROUP)

    assert found["4"].attrs["reactions"] == {"❤": 5, "👍": 2}
    anna = found["4:reaction:❤:user5926437042"]
    # Her "date" was 09:18:25 on the exporting PC, which is 8 hours ahead of UTC.
    assert anna.occurred_at == datetime(2024, 10, 25, 1, 18, 25, tzinfo=UTC)
    assert (anna.kind, anna.reply_to, anna.attrs) == (ActivityKind.REACTION, "4", {"emoji": "❤"})
    assert anna.author == PersonRef("user5926437042", "Anna Schmidt")
    custom = found["26:reaction:5368324170671202286:user5365934951"]
    assert custom.occurred_at == datetime(2024, 9, 21, 14, 0, tzinfo=UTC)
    assert found["26"].attrs["reactions"] == {"5368324170671202286": 1, "paid": 3}


def test_a_deleted_account_keeps_its_id_without_a_name() -> None:
    found = activities(SUPERGROUP)

    assert found["5"].kind == ActivityKind.JOIN
    assert found["5"].author == PersonRef("user6428131022", "")
    assert found["22"].author == PersonRef("user6428131022", "")
    assert found["22"].text == "hi all"


def test_media_are_described_without_placeholder_paths() -> None:
    found = activities(SUPERGROUP)

    assert found["11"].attrs == {"photo": True, "media_not_included": True}
    assert found["11"].text == ""
    assert found["24"].attrs["file"] == "files/会议纪要.pdf"
    assert found["24"].attrs["file_name"] == "会议纪要.pdf"
    assert found["17"].attrs["media_type"] == "animation"
    assert found["17"].attrs["via_bot"] == "@gif"
    assert "file" not in found["17"].attrs
    assert found["18"].attrs["sticker_emoji"] == "😂"
    assert found["19"].attrs["forwarded_from"] == "Python 中文社区"
    assert found["12"].attrs["poll"] == {
        "question": "下次线上聚会什么时候？",
        "closed": False,
        "total_voters": 6,
        "answers": [
            {"text": "周六晚上 Saturday evening", "voters": 4},
            {"text": "周日下午 Sunday afternoon", "voters": 2},
        ],
    }


def test_unsupported_messages_are_skipped_and_service_events_keep_their_action() -> None:
    found = activities(SUPERGROUP)

    assert "23" not in found
    assert found["16"].attrs == {"action": "pin_message", "message_id": "4"}
    assert found["28"].attrs == {"action": "group_call", "duration": 3600}


def test_a_full_account_export_yields_every_chat_including_left_ones() -> None:
    records = list(parse(FULL_ACCOUNT))

    channels = [r for r in records if isinstance(r, ChannelRecord)]
    assert [(c.external_id, c.kind) for c in channels] == [
        ("5442664366", "personal_chat"),
        ("1811223344", "private_channel"),
        ("1500000001", "public_supergroup"),
    ]
    kinds = kinds_per_channel(records)
    assert kinds == {
        ("5442664366", ActivityKind.MESSAGE): 1,
        ("5442664366", ActivityKind.REPLY): 1,
        ("1811223344", ActivityKind.SERVICE): 1,
        ("1811223344", ActivityKind.POST): 2,
        ("1811223344", ActivityKind.REACTION): 2,
        ("1500000001", ActivityKind.LEAVE): 1,
    }


def test_channel_posts_and_reaction_times_across_a_daylight_saving_change() -> None:
    records = [r for r in parse(FULL_ACCOUNT) if isinstance(r, ActivityRecord)]
    found = {(r.channel, r.external_id): r for r in records}

    post = found[("1811223344", "2")]
    assert post.kind == ActivityKind.POST
    assert post.author == PersonRef("channel1811223344", "群运周报 Weekly")
    assert post.attrs["signature"] == "Anna"
    # Berlin was UTC+2 on 21 October and UTC+1 on 2 November.
    early = found[("1811223344", "2:reaction:🔥:user5442664366")]
    late = found[("1811223344", "2:reaction:🔥:user5109962931")]
    assert early.occurred_at == datetime(2024, 10, 21, 8, 0, tzinfo=UTC)
    assert late.occurred_at == datetime(2024, 11, 2, 8, 0, tzinfo=UTC)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + SUPERGROUP.read_bytes())

    assert list(parse(path)) == list(parse(SUPERGROUP))


def test_old_exports_without_unixtime_use_the_local_date_as_utc(tmp_path: Path) -> None:
    old = message(5, from_id=1234567, reactions=[{"type": "emoji", "count": 1, "emoji": "👍"}])
    del old["date_unixtime"]
    old["reactions"][0]["recent"] = [
        {"from": "A", "from_id": "user9", "date": "2019-01-02T03:04:05"}
    ]
    path = write(tmp_path, chat(old))

    found = activities(path)

    assert found["5"].occurred_at == datetime(2024, 9, 21, 20, 47, 30, tzinfo=UTC)
    assert found["5"].attrs["time_is_local"] is True
    assert found["5"].author.external_id == "user1234567"  # a bare number is a user
    # With no message carrying both clocks, the offset is unknown: the message's time.
    assert found["5:reaction:👍:user9"].occurred_at == found["5"].occurred_at


def test_the_bot_of_a_bot_chat_is_marked_as_a_bot(tmp_path: Path) -> None:
    path = write(tmp_path, chat(message(1, from_id="user777"), message(2), kind="bot_chat"))

    found = activities(path)

    assert found["1"].author.is_bot is True
    assert found["2"].author.is_bot is False


def test_control_characters_escaped_the_tdesktop_way_are_read(tmp_path: Path) -> None:
    text = json.dumps(chat(message(1, text="a\u0001b")), ensure_ascii=False, indent=1)
    path = write(tmp_path, text.replace("\\u0001", "\\x01").encode())

    assert activities(path)["1"].text == "a\x01b"


def errors_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_invalid_json_names_its_line_column_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n "name": "群",\n "messages": [\n  {"id": 1,, }\n ]\n}'.encode())

    error = errors_of(path)

    assert (error.line, error.offset) == (
        4,
        len('{\n "name": "群",\n "messages": [\n  {"id": 1,'.encode()),
    )
    assert "line 4" in str(error) and "column 12" in str(error)
    assert str(path) in str(error)


def test_a_truncated_export_is_reported_at_its_end(tmp_path: Path) -> None:
    data = SUPERGROUP.read_bytes()
    path = write(tmp_path, data[: len(data) // 2])

    error = errors_of(path)

    assert error.line == data[: len(data) // 2].count(b"\n") + 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'[{"id": 1}]', "not a JSON object"),
        (b'{"about": "x", "contacts": {}}', "not a Telegram export"),
    ],
)
def test_files_that_are_not_exports_are_refused(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    assert expected in str(errors_of(write(tmp_path, content)))


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    good = json.dumps(chat(message(1, text="中文")), ensure_ascii=False, indent=1).encode()
    bad_at = good.index("文".encode())
    path = write(tmp_path, good[:bad_at] + b"\xff" + good[bad_at + 1 :])

    error = errors_of(path)

    assert error.offset == bad_at
    assert f"byte offset {bad_at}" in str(error) and "UTF-8" in str(error)


def test_bad_bytes_are_found_wherever_the_read_windows_cut_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_export, "_CHUNK", 5)  # windows that split 3- and 4-byte characters
    good = json.dumps(chat(message(1, text="群运 🎉 社区")), ensure_ascii=False).encode()
    bad_at = good.index("社".encode())
    path = write(tmp_path, good[:bad_at] + b"\xc0" + good[bad_at:])

    assert errors_of(path).offset == bad_at


def test_an_error_after_a_repaired_escape_points_into_the_original_file(tmp_path: Path) -> None:
    text = json.dumps(chat(message(1, text="a\u0001b")), ensure_ascii=False, indent=1)
    data = text.replace("\\u0001", "\\x01").encode()
    broken_at = data.rindex(b"]")
    path = write(tmp_path, data[:broken_at] + b"@" + data[broken_at + 1 :])

    error = errors_of(path)

    assert error.offset == broken_at  # the "@", not two bytes further
    assert error.line == data[:broken_at].count(b"\n") + 1


@pytest.mark.parametrize(
    ("broken", "field", "fragment"),
    [
        ({"id": None}, "id", "no “id”"),
        ({"id": "7"}, "id", "not an integer"),
        ({"date_unixtime": "yesterday"}, "date_unixtime", "'yesterday'"),
        ({"date_unixtime": None, "date": None}, "date_unixtime", "neither"),
        ({"date_unixtime": None, "date": "21/09/2024"}, "date", "ISO 8601"),
        ({"from_id": None}, "from_id", "no “from_id”"),
        ({"text": 5}, "text", "text parts"),
        ({"reply_to_message_id": "x"}, "reply_to_message_id", "not an integer"),
        ({"reactions": {"❤": 1}}, "reactions", "not a list"),
    ],
)
def test_a_malformed_message_is_named_by_its_index_and_field(
    tmp_path: Path, broken: dict[str, Any], field: str, fragment: str
) -> None:
    bad = {key: value for key, value in message(2, **broken).items() if value is not None}
    path = write(tmp_path, chat(message(1), bad))

    error = errors_of(path)

    assert (error.record, error.field) == (2, field)
    assert "record 2" in str(error) and f"field “{field}”" in str(error)
    assert fragment in str(error)


def test_messages_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    error = errors_of(
        write(tmp_path, {"name": "x", "type": "private_group", "id": 1, "messages": {}})
    )

    assert error.field == "messages"


def test_an_error_in_a_full_export_names_the_chat(tmp_path: Path) -> None:
    document = json.loads(FULL_ACCOUNT.read_text(encoding="utf-8"))
    del document["chats"]["list"][1]["messages"][1]["id"]
    path = write(tmp_path, document)

    error = errors_of(path)

    assert "record 2" in str(error) and "chats.list[1]" in str(error)


def test_a_full_export_whose_chat_list_is_not_a_list_is_refused(tmp_path: Path) -> None:
    error = errors_of(write(tmp_path, {"about": "x", "chats": {"about": "y", "list": {}}}))

    assert error.field == "chats.list"

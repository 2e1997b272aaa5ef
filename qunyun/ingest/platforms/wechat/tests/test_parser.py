"""The WeChat importer reads WeChatMsg / 留痕 CSV exports into the records an operator counts.

Fixtures are hand-made to match the exporter's CSV field for field (the ``MSG`` table's
nine columns, then the sender's Remark, NickName and wxid):

- ``group/群运开源社区_utf8.csv`` — a group chat, UTF-8 with a BOM, exported on a PC in
  Beijing: texts, media, links and files with their XML, quoted replies, a red packet,
  joins by invitation and QR code, removals, revokes, pats and ``<sysmsg>`` templates.
- ``private/宋悦_utf8.csv`` — a 1:1 chat from the revision that wrote only 9 values per
  row under the 12-column header; one row lacks its CreateTime.
- ``gbk/校友会.csv`` — a group chat re-saved by a Chinese Excel: GBK, no BOM.
- ``export_all/messages.csv`` — "export all": plain UTF-8, every conversation in one file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.wechat.content import Quote
from qunyun.ingest.platforms.wechat.parser import SYSTEM, parse
from qunyun.ingest.platforms.wechat.quotes import QuoteIndex
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

FIXTURES = Path(__file__).parent / "fixtures"
GROUP = FIXTURES / "group" / "群运开源社区_utf8.csv"
PRIVATE = FIXTURES / "private" / "宋悦_utf8.csv"
GBK = FIXTURES / "gbk" / "校友会.csv"
EXPORT_ALL = FIXTURES / "export_all" / "messages.csv"
HEADER = ",".join(
    (
        "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status",
        "StrContent,StrTime,Remark,NickName,Sender",
    )
)
T0 = 1726922850  # the group fixture's first row: 2024-09-21 20:47:30 in Beijing


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def group_activity(local_id: int, suffix: str = "") -> ActivityRecord:
    """The group fixture's row ``local_id`` (one row a minute from T0)."""
    return activities(GROUP)[f"{T0 + 60 * (local_id - 1)}:{local_id}{suffix}"]


def write(tmp_path: Path, content: str | bytes, name: str = "测试群_utf8.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8-sig") if isinstance(content, str) else content)
    return path


def row(local_id: int = 1, **fields: Any) -> str:
    values = {
        "localId": local_id,
        "TalkerId": 7,
        "Type": 1,
        "SubType": 0,
        "IsSender": 0,
        "CreateTime": 1700000000 + local_id,
        "Status": 2,
        "StrContent": "hi",
        "StrTime": "2023-11-15 06:13:21",
        "Remark": "",
        "NickName": "Li",
        "Sender": "wxid_li",
        **fields,
    }
    return ",".join(str(value) for value in values.values())


def failure(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def test_the_registry_finds_the_wechat_parser() -> None:
    assert get_parser("wechat") is parse


def test_a_group_chat_yields_its_channel_first_then_every_activity() -> None:
    records = list(parse(GROUP))

    assert records[0] == ChannelRecord(
        source="wechat", external_id="群运开源社区", name="群运开源社区"
    )
    rest = records[1:]
    assert all(isinstance(r, ActivityRecord) for r in rest)
    assert Counter(r.kind for r in rest) == {
        ActivityKind.MESSAGE: 18,
        ActivityKind.REPLY: 1,
        ActivityKind.JOIN: 6,
        ActivityKind.LEAVE: 2,
        ActivityKind.SERVICE: 7,
    }
    assert {(r.source, r.channel) for r in rest} == {("wechat", "群运开源社区")}
    assert len({r.external_id for r in rest}) == len(rest)


def test_times_are_create_time_in_utc_and_ids_join_it_with_the_local_id() -> None:
    welcome = group_activity(2)

    # StrTime says 20:48:30: the exporting PC's Beijing clock, not used.
    assert welcome.external_id == f"{T0 + 60}:2"
    assert welcome.occurred_at == datetime(2024, 9, 21, 12, 48, 30, tzinfo=UTC)
    assert welcome.author == PersonRef("wxid_zhangsan", "张三")
    assert (welcome.kind, welcome.text, welcome.attrs) == (
        ActivityKind.MESSAGE,
        "欢迎新朋友！Welcome 👋",
        {},
    )


def test_texts_are_kept_as_written_including_quotes_newlines_and_markup() -> None:
    assert group_activity(8).text == (
        'Has anyone tried Django 5.2 yet? The "composite primary keys" look great,\n有人试过了吗？'
    )
    assert group_activity(31).text == '=HYPERLINK("http://evil.example")<script>alert(1)</script>'
    assert group_activity(19).author == PersonRef("wxid_chenchen", "陈晨")  # Status empty


def test_media_are_typed_and_their_xml_never_becomes_text() -> None:
    for local_id, kind in [(6, "image"), (12, "sticker"), (13, "voice"), (23, "video")]:
        found = group_activity(local_id)
        assert (found.kind, found.text, found.attrs) == (
            ActivityKind.MESSAGE,
            "",
            {"message_type": kind},
        )
    # Neither coordinates nor the shared contact's details are copied.
    assert group_activity(24).attrs == {"message_type": "location"}
    assert group_activity(25).attrs == {"message_type": "card"}
    assert group_activity(11).attrs == {"message_type": "red_packet"}
    assert group_activity(30).attrs == {"message_type": "transfer"}


def test_links_and_files_keep_their_title_from_the_xml() -> None:
    assert group_activity(7).attrs == {
        "message_type": "link",
        "title": "Django 5.2 release notes | Django documentation",
        "url": "https://docs.djangoproject.com/en/5.2/releases/5.2/",
    }
    assert group_activity(22).attrs == {"message_type": "file", "file_name": "会议纪要 2024-09.pdf"}
    assert group_activity(27).attrs == {"message_type": "merged_forward", "title": "群聊的聊天记录"}
    # PC WeChat often keeps the XML in CompressContent, which the CSV lacks.
    assert group_activity(29).attrs == {"message_type": "link"}


def test_a_quoted_reply_points_to_the_message_sent_at_the_quoted_time_by_its_sender() -> None:
    reply = group_activity(9)

    assert reply.kind == ActivityKind.REPLY
    assert reply.reply_to == f"{T0 + 420}:8"
    # The title is what was typed; XML's own escapes are undone, nothing else.
    assert reply.text == "试过了，很好用 👍 <b>真的</b>"
    assert reply.attrs == {"message_type": "quote"}


def test_a_quote_of_a_message_outside_the_export_stays_a_message() -> None:
    quote = group_activity(10)

    assert (quote.kind, quote.reply_to, quote.text) == (ActivityKind.MESSAGE, None, "+1 同问")
    assert quote.attrs == {"message_type": "quote", "quoted": True}


def test_invitations_and_qr_codes_are_joins_by_name() -> None:
    me = group_activity(1, ":join:0")
    assert (me.kind, me.author, me.attrs) == (
        ActivityKind.JOIN,
        PersonRef("self"),
        {"via": "qr_code"},
    )
    li, wang = group_activity(4, ":join:0"), group_activity(4, ":join:1")
    assert (li.author, wang.author) == (PersonRef(None, "李四"), PersonRef(None, "王五"))
    assert li.attrs == {"via": "invite", "invited_by": "张三"}
    assert group_activity(5, ":join:0").attrs == {"via": "qr_code", "shared_by": "张三"}
    assert group_activity(5, ":join:0").author == PersonRef(None, "王芳")


def test_template_notices_give_joins_their_wxid() -> None:
    chen, bob = group_activity(18, ":join:0"), group_activity(18, ":join:1")

    assert (chen.author, bob.author) == (
        PersonRef("wxid_chenchen", "陈晨"),
        PersonRef("wxid_boblee", "Bob Lee"),
    )
    assert bob.attrs == {"via": "invite", "invited_by": "张三"}


def test_only_removals_are_leaves() -> None:
    removed, me = group_activity(17, ":leave:0"), group_activity(32, ":leave:0")

    assert (removed.kind, removed.author, removed.attrs) == (
        ActivityKind.LEAVE,
        PersonRef(None, "王五"),
        {"removed": True, "removed_by": "self"},
    )
    assert (me.author, me.attrs) == (PersonRef("self"), {"removed": True, "removed_by": "张三"})


def test_revokes_pats_and_renames_are_service_events_by_who_did_them() -> None:
    expected = {
        14: (PersonRef(None, "王五"), {"action": "revoke"}),
        15: (PersonRef("self"), {"action": "revoke"}),  # CDATA and 重新编辑 link
        16: (PersonRef(None, "张三"), {"action": "pat"}),
        20: (PersonRef(None, "陈晨"), {"action": "revoke"}),  # a 10002 <sysmsg>
        21: (PersonRef("self"), {"action": "rename", "title": "群运开源社区 Qunyun"}),
        28: (PersonRef("wxid_zhangsan", "张三"), {"action": "pat"}),  # type 49/62
    }
    for local_id, (author, attrs) in expected.items():
        found = group_activity(local_id)
        assert (found.kind, found.author, found.attrs) == (ActivityKind.SERVICE, author, attrs)


def test_notices_naming_nobody_come_from_the_system() -> None:
    notice = group_activity(26)

    assert notice.author == SYSTEM and notice.author.is_bot
    assert notice.attrs == {
        "action": "system",
        "notice": '"Bob Lee"与群里其他人都不是微信朋友关系，请注意隐私安全',
    }


def test_a_one_to_one_chat_with_nine_values_per_row() -> None:
    records = list(parse(PRIVATE))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0] == ChannelRecord(source="wechat", external_id="宋悦", name="宋悦")
    assert Counter(r.kind for r in found.values()) == {
        ActivityKind.MESSAGE: 3,
        ActivityKind.REPLY: 1,
        ActivityKind.SERVICE: 4,
    }
    # No Sender column values: the exporting user is "self", the other is the contact.
    assert found["1628863820:1854661"].author == PersonRef("self")
    assert found["1628863878:1854662"].author == PersonRef(None, "宋悦")
    assert found["1628863700:1854660"].attrs == {"action": "friend_added"}
    assert found["1628863940:1854663"].attrs == {"action": "voip"}
    assert found["1628864000:1854664"].attrs == {"action": "friend_request"}
    assert found["1628864180:1854667"].author == PersonRef("self")


def test_a_row_without_create_time_falls_back_to_beijing_local_time() -> None:
    found = activities(PRIVATE)

    late = found["1628864060:1854665"]  # StrTime 2021-08-13 22:14:20 in Beijing
    assert late.occurred_at == datetime(2021, 8, 13, 14, 14, 20, tzinfo=UTC)
    assert late.attrs == {"time_is_local": True}
    reply = found["1628864120:1854666"]
    assert (reply.kind, reply.reply_to, reply.text) == (
        ActivityKind.REPLY,
        "1628864060:1854665",
        "下午两点，在 3 楼",
    )


def test_a_gbk_file_is_read_when_the_whole_file_is_gb18030() -> None:
    found = activities(GBK)

    assert found["1704067230:101"].text == "新年快乐！祝大家 2024 年万事如意"
    assert found["1704067200:100:join:0"].author == PersonRef(None, "孙丽")
    assert found["1704067260:102"].author == PersonRef("wxid_sunli", "孙丽")


def test_export_all_holds_every_conversation_named_by_remark_or_nickname() -> None:
    records = list(parse(EXPORT_ALL))

    channels = [r for r in records if isinstance(r, ChannelRecord)]
    assert [(c.external_id, c.name) for c in channels] == [
        ("群运开源社区", "群运开源社区"),
        ("宋悦", "宋悦"),
        ("talker:401", "talker:401"),
    ]
    owners: set[str] = set()
    for record in records:
        if isinstance(record, ChannelRecord):
            owners.add(record.external_id)
        else:
            assert record.channel in owners  # each channel comes before its activities
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}
    # Sender is a display name there, and "我" is the exporting user.
    assert found["1727000000:1"].author == PersonRef(None, "张三")
    assert found["1727000045:2"].author == PersonRef("self")
    assert found["1727000090:3:join:0"].author == PersonRef(None, "Carol Wu")
    unknown = found["1727000180:5"]
    assert (unknown.author, unknown.attrs) == (PersonRef(None, ""), {"unknown_sender": True})


def test_a_folder_of_exports_yields_each_chat_and_skips_other_csv_files(tmp_path: Path) -> None:
    root = tmp_path / "聊天记录"
    (root / "宋悦").mkdir(parents=True)
    shutil.copy(PRIVATE, root / "宋悦" / PRIVATE.name)
    # A later revision names the folder "<备注>(<wxid>)": the wxid identifies the chat.
    room = root / "群运开源社区(48615079469@chatroom)"
    room.mkdir()
    shutil.copy(GROUP, room / GROUP.name)
    (root / "contacts.csv").write_text("UserName,Alias,Type,Remark,NickName\n", encoding="utf-8")

    channels = [r for r in parse(root) if isinstance(r, ChannelRecord)]

    assert channels == [
        ChannelRecord("wechat", "宋悦", "宋悦"),
        ChannelRecord("wechat", "48615079469@chatroom", "群运开源社区", "group"),
    ]


def test_a_folder_without_chats_is_refused(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("UserName,Alias\n", encoding="utf-8")

    assert "no WeChat chat CSV" in str(failure(tmp_path))


def test_the_older_nine_column_header_is_read(tmp_path: Path) -> None:
    header = "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime"
    path = write(tmp_path, f"{header}\n{row(1)[: row(1).index(',,Li')]}\n", "Bob_utf8.csv")

    (record,) = activities(path).values()

    assert (record.channel, record.author) == ("Bob", PersonRef(None, "Bob"))


def test_official_accounts_are_bots(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{row(1, Sender='gh_3dfda90e39d6', NickName='群运')}\n")

    assert next(iter(activities(path).values())).author.is_bot


def test_a_utf8_file_without_bom_reads_the_same(tmp_path: Path) -> None:
    path = write(tmp_path, GROUP.read_bytes()[3:], GROUP.name)

    assert list(parse(path)) == list(parse(GROUP))


def test_invalid_utf8_after_a_bom_is_located(tmp_path: Path) -> None:
    good = GROUP.read_bytes()
    bad_at = good.index("欢迎".encode())
    path = write(tmp_path, good[:bad_at] + b"\xff" + good[bad_at:])

    error = failure(path)

    assert (error.offset, error.line) == (bad_at, 3)
    assert f"byte offset {bad_at}" in str(error) and "not UTF-8" in str(error)


def test_a_gbk_file_with_a_broken_byte_is_refused_where_gb18030_fails(tmp_path: Path) -> None:
    good = GBK.read_bytes()
    bad_at = good.index("同乐".encode("gbk"))
    path = write(tmp_path, good[:bad_at] + b"\xff" + good[bad_at:], "校友会.csv")

    error = failure(path)

    assert error.offset == bad_at and error.line == 4
    assert "neither UTF-8 nor GB18030" in str(error) and "line 4" in str(error)


@pytest.mark.parametrize(
    ("content", "line", "field", "fragment"),
    [
        ("", 1, None, "empty"),
        ("localId,Type,IsSender,CreateTime\n", 1, "StrContent", "“StrContent” is missing"),
        (f"{HEADER}\n{row(1)}\n{row(2, localId='x')}\n", 3, "localId", "'x'"),
        (f"{HEADER}\n{row(1, Type='')}\n", 2, "Type", "not a number"),
        (f"{HEADER}\n{row(1, IsSender=2)}\n", 2, "IsSender", "0 or 1"),
        (f"{HEADER}\n{row(1, CreateTime='soon', StrTime='')}\n", 2, "CreateTime", "'soon'"),
        (f"{HEADER}\n{row(1)},extra\n", 2, None, "13 values"),
        (f"{HEADER}\n1,7,1\n", 2, "IsSender", "3 values"),
        (f'{HEADER}\n{row(1)}\n2,7,1,0,0,1700000002,2,"unclosed\n', 3, None, "malformed"),
    ],
)
def test_malformed_rows_are_named_by_line_and_column(
    tmp_path: Path, content: str, line: int, field: str | None, fragment: str
) -> None:
    error = failure(write(tmp_path, content))

    assert (error.line, error.field) == (line, field)
    assert f"line {line}" in str(error) and fragment in str(error)
    if field:
        assert f"field “{field}”" in str(error)


def test_a_header_alone_is_a_chat_without_activities(tmp_path: Path) -> None:
    assert list(parse(write(tmp_path, f"{HEADER}\n"))) == [
        ChannelRecord("wechat", "测试群", "测试群")
    ]


def test_a_huge_xml_payload_is_read_without_tripping_the_csv_field_limit(tmp_path: Path) -> None:
    payload = "<msg><appmsg><title>聊天记录</title><type>19</type><des>" + "长" * 200_000
    path = write(tmp_path, f"{HEADER}\n{row(1, Type=49, SubType=19, StrContent=payload)}\n")

    (record,) = activities(path).values()

    assert record.attrs == {"message_type": "merged_forward"}  # unparsable: no title


def _corrupt(data: bytes, draw: Any) -> bytes:
    """Truncate, flip, insert or drop: what a broken disk, transfer or editor does."""
    how = draw(st.sampled_from(["truncate", "flip", "insert", "drop_value"]))
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    start = data.find(b",", at)
    end = data.find(b",", start + 1)
    return data if start < 0 or end < 0 else data[:start] + data[end:]


def _check(record: ChannelRecord | ActivityRecord) -> None:
    assert record.source == "wechat" and record.external_id
    if isinstance(record, ActivityRecord):
        assert isinstance(record.kind, ActivityKind) and record.channel
        assert record.occurred_at.utcoffset() == timedelta(0)
        assert isinstance(record.author, PersonRef)
        assert isinstance(record.text, str)
        orjson.dumps(record.attrs)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), fixture=st.sampled_from([GROUP, PRIVATE, GBK, EXPORT_ALL]))
def test_corrupted_exports_yield_valid_records_or_a_format_error(data: Any, fixture: Path) -> None:
    broken = _corrupt(fixture.read_bytes(), data.draw)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / fixture.name
        path.write_bytes(broken)
        try:
            for record in parse(path):
                _check(record)
        except ImportFormatError as error:
            assert str(path) in str(error)


def test_optional_columns_may_be_missing_or_empty(tmp_path: Path) -> None:
    header = "localId,Type,SubType,IsSender,CreateTime,StrContent,NickName,Sender"
    path = write(tmp_path, f"{header}\n7,1,,,1700000000,你好 hello,李伟,wxid_li\n")

    (record,) = activities(path).values()

    assert (record.external_id, record.text, record.author) == (
        "1700000000:7",
        "你好 hello",
        PersonRef("wxid_li", "李伟"),
    )


def test_the_same_local_id_from_two_database_shards_stays_two_messages(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{row(5)}\n{row(5, CreateTime=1800000000)}\n")

    assert sorted(activities(path)) == ["1700000005:5", "1800000000:5"]


def _quote(created: int, chatusr: str, name: str) -> str:
    return (
        '"<msg><appmsg><title>对</title><type>57</type><refermsg>'
        f"<chatusr>{chatusr}</chatusr><displayname>{name}</displayname>"
        f'<createtime>{created}</createtime></refermsg></appmsg></msg>"'
    )


def test_a_quote_is_matched_by_sender_when_several_messages_share_its_second(
    tmp_path: Path,
) -> None:
    same_second = 1700000000
    rows = [
        row(1, CreateTime=same_second, Sender="wxid_a", NickName="阿甲"),
        row(2, CreateTime=same_second, Sender="wxid_b", NickName="Bea"),
        row(3, CreateTime=same_second, Sender="wxid_b", NickName="Bea"),
        row(4, Type=49, SubType=57, StrContent=_quote(same_second, "wxid_a", "阿甲")),
        row(5, Type=49, SubType=57, StrContent=_quote(same_second, "wxid_b", "Bea")),
    ]
    found = activities(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))

    assert found["1700000004:4"].reply_to == f"{same_second}:1"
    # Bea sent two messages in that second: which one was quoted is not certain.
    assert found["1700000005:5"].kind == ActivityKind.MESSAGE
    assert found["1700000005:5"].attrs["quoted"] is True


def test_only_recent_messages_are_remembered_for_quotes() -> None:
    index = QuoteIndex(capacity=2)
    for second in (1, 2, 3):
        index.add("群", second, f"wxid_{second}", "", f"{second}:1")

    assert index.find("群", Quote(created=1, senders=frozenset(), server_id="")) is None
    assert index.find("群", Quote(created=3, senders=frozenset(), server_id="")) == "3:1"

"""The QQ importer reads 消息记录 text exports into the records an operator counts.

Fixtures are hand-made in the exporter's layout (FORMATS.md §5): ``group_utf8_bom.txt``
is one group saved as UTF-8 with a byte-order mark and Windows line ends, with a
12-hour clock, member titles, an e-mail account, multi-line and empty messages and the
system pseudo-sender's notices; ``multi_chat_gbk.txt`` is a GBK file holding three chats
(two groups and a friend), one of them with a 24-hour clock.
"""

from __future__ import annotations

import codecs
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.qq.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef
from qunyun.ingest.tests.parser_checks import kinds_per_channel

FIXTURES = Path(__file__).parent / "fixtures"
GROUP = FIXTURES / "group_utf8_bom.txt"
MULTI = FIXTURES / "multi_chat_gbk.txt"
GROUP_ID = "754869032"
HEAD = (
    "消息记录（此消息记录为文本格式，不支持重新导入）\n\n"
    + "=" * 64
    + "\n消息分组:我的群聊\n"
    + "=" * 64
    + "\n消息对象:测试群 Test\n"
    + "=" * 64
    + "\n\n"
)


def activities(path: Path) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path) if isinstance(r, ActivityRecord)}


def write(tmp_path: Path, content: str | bytes, name: str = "chat.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def errors_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


def group_text() -> str:
    return GROUP.read_bytes().decode("utf-8-sig")


def test_the_registry_finds_the_qq_parser() -> None:
    assert get_parser("qq") is parse


def test_a_group_export_yields_its_channel_first_then_every_activity() -> None:
    records = list(parse(GROUP))

    assert records[0] == ChannelRecord(
        source="qq", external_id=GROUP_ID, name="群运 Qunyun 开源社区", kind="group"
    )
    rest = records[1:]
    assert all(isinstance(r, ActivityRecord) for r in rest)
    assert Counter(r.kind for r in rest) == {
        ActivityKind.MESSAGE: 7,
        ActivityKind.JOIN: 4,
        ActivityKind.LEAVE: 2,
        ActivityKind.SERVICE: 2,
    }
    assert {(r.source, r.channel) for r in rest} == {("qq", GROUP_ID)}
    assert len({r.external_id for r in rest}) == len(rest)


def test_twelve_hour_local_times_become_utc() -> None:
    found = activities(GROUP)

    # 8:06:40 PM in Shanghai (UTC+8) is 12:06:40 UTC.
    assert found["1726920400:2837465019:0"].occurred_at == datetime(
        2024, 9, 21, 12, 6, 40, tzinfo=UTC
    )
    # 11:59:59 PM, then 12:00:01 AM the next day: midnight is hour 0, not 12.
    before, after = found["1726934399:3344556677:0"], found["1726934401:3344556677:0"]
    assert before.occurred_at == datetime(2024, 9, 21, 15, 59, 59, tzinfo=UTC)
    assert after.occurred_at == datetime(2024, 9, 21, 16, 0, 1, tzinfo=UTC)
    assert after.text == "midnight 午夜"


def test_messages_of_one_sender_in_one_second_are_numbered() -> None:
    found = activities(GROUP)

    first, second = found["1726920302:10001234:0"], found["1726920302:10001234:1"]
    assert first.text.startswith("欢迎 @王芳！")
    assert second.text == "[图片]"
    assert first.author == second.author == PersonRef("10001234", "李伟 Li Wei")


def test_titles_emails_multi_line_and_empty_messages() -> None:
    found = activities(GROUP)

    assert found["1726920302:10001234:0"].attrs == {"title": "管理员"}
    assert found["1726934399:3344556677:0"].attrs == {"title": "群主", "sticker": True}
    anna = found["1726920420:anna.schmidt@example.org:0"]
    assert anna.author == PersonRef(
        "anna.schmidt@example.org", "Anna Schmidt", email="anna.schmidt@example.org"
    )
    assert (anna.kind, anna.text) == (ActivityKind.MESSAGE, "")
    # A blank line and a line that starts with a date stay inside the message.
    assert found["1726920400:2837465019:0"].text == (
        "大家好 👋\n我是做数据分析的，\n\n2024-10-01 国庆节见！\nHi everyone!"
    )


def test_media_placeholders_are_flagged_and_text_is_kept_as_written() -> None:
    bob = activities(GROUP)["1726970400:1987654321:0"]

    assert bob.text == "hello 大家 <b>not html</b> &amp; [图片] look"
    assert bob.attrs == {"photo": True}


def test_joins_name_people_only_unless_the_notice_gives_a_qq_number() -> None:
    found = activities(GROUP)

    wang = found["1726920195:10000:0"]
    assert (wang.kind, wang.author, wang.attrs) == (ActivityKind.JOIN, PersonRef(None, "王芳"), {})
    assert found["1726967730:1000000:0"].author == PersonRef("1987654321", "Bob Lee")
    invited = [found["1726967760:10000:0:join:0"], found["1726967760:10000:0:join:1"]]
    assert [r.author for r in invited] == [PersonRef(None, "赵六"), PersonRef(None, "Carol")]
    assert {orjson.dumps(r.attrs) for r in invited} == {
        orjson.dumps({"via": "invite", "invited_by": "张三"})
    }


def test_leaving_is_told_apart_from_being_removed() -> None:
    found = activities(GROUP)

    left, removed = found["1726979400:10000:0"], found["1726979460:10000:0"]
    assert (left.kind, left.author, left.attrs) == (
        ActivityKind.LEAVE,
        PersonRef(None, "赵六"),
        {"removed": False},
    )
    assert (removed.kind, removed.author, removed.attrs) == (
        ActivityKind.LEAVE,
        PersonRef(None, "Carol"),
        {"removed": True, "removed_by": "管理员"},
    )


def test_revokes_and_other_notices_are_service_events() -> None:
    found = activities(GROUP)

    revoke = found["1726970472:10000:0"]
    assert (revoke.kind, revoke.author, revoke.attrs) == (
        ActivityKind.SERVICE,
        PersonRef(None, "Bob Lee"),
        {"action": "revoke"},
    )
    other = found["1726979520:10000:0"]
    assert (other.kind, other.attrs, other.text) == (
        ActivityKind.SERVICE,
        {"action": "notice"},
        "李伟 Li Wei设置王芳为管理员",
    )
    assert other.author == PersonRef("10000", "系统消息", is_bot=True)


def test_a_gbk_file_with_several_chats_makes_one_channel_each() -> None:
    records = list(parse(MULTI))

    channels = [r for r in records if isinstance(r, ChannelRecord)]
    assert [(c.external_id, c.name, c.kind) for c in channels] == [
        ("湖之仆从（PST 8pm | BJT 11am）", "湖之仆从（PST 8pm | BJT 11am）", "group"),
        ("老王", "老王", "private"),
        ("123456789", "Python 交流群", "group"),
    ]
    kinds = kinds_per_channel(records)
    assert kinds == {
        ("湖之仆从（PST 8pm | BJT 11am）", ActivityKind.MESSAGE): 2,
        ("湖之仆从（PST 8pm | BJT 11am）", ActivityKind.JOIN): 1,
        ("老王", ActivityKind.MESSAGE): 3,
        ("123456789", ActivityKind.MESSAGE): 1,
    }


def test_gbk_texts_separator_lines_inside_messages_and_24_hour_clocks() -> None:
    found = {(r.channel, r.external_id): r for r in parse(MULTI) if isinstance(r, ActivityRecord)}

    dice = found[("湖之仆从（PST 8pm | BJT 11am）", "1569242618:87200175:0")]
    assert (dice.author, dice.text) == (PersonRef("87200175", "骰娘-Roll100"), "1")
    assert dice.occurred_at == datetime(2019, 9, 23, 12, 43, 38, tzinfo=UTC)
    signed = found[("老王", "1569286920:12345678:0")]
    assert signed.text == "收到\n" + "=" * 64 + "\n-- 老王的签名"
    evening = found[("123456789", "1569416709:99887766:0")]
    assert evening.occurred_at == datetime(2019, 9, 25, 13, 5, 9, tzinfo=UTC)
    assert evening.text == "晚上好 good evening"


@pytest.mark.parametrize(
    ("codec", "bom"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("gb18030", b"")],
)
def test_utf16_and_gb18030_files_read_like_utf8(tmp_path: Path, codec: str, bom: bytes) -> None:
    path = write(tmp_path, bom + group_text().encode(codec))

    assert list(parse(path)) == list(parse(GROUP))


def test_a_re_export_of_a_later_range_keeps_the_ids_of_the_messages_it_shares(
    tmp_path: Path,
) -> None:
    text = group_text()
    cut = text.index("2024-09-21 11:59:59 PM")
    later = write(tmp_path, text[: text.index("2024-09-21 8:03:15 PM")] + text[cut:])

    full, part = activities(GROUP), activities(later)

    assert len(part) == 10
    assert all(full[key] == record for key, record in part.items())
    assert activities(GROUP) == full  # and re-reading the same file changes nothing


@pytest.mark.parametrize(
    "header",
    [
        "2024-02-01 20:05:02 Li(10001)",
        "2024-02-01 8:05:02 PM Li(10001)",
        "2024-2-1 8:05:02 pm Li(10001)",
        "2024-02-01 下午 8:05:02 Li(10001)",
        "2024-02-01 8:05:02 下午 Li(10001)",
    ],
)
def test_the_clock_follows_the_windows_locale(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, HEAD + header + "\nhi\n")

    (record,) = activities(path).values()

    assert record.occurred_at == datetime(2024, 2, 1, 12, 5, 2, tzinfo=UTC)
    assert record.author == PersonRef("10001", "Li")


def test_nicknames_with_brackets_and_one_person_under_two_cards(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + "2024-02-01 9:00:00 AM 张三(Sam)(10001)\nhi\n\n"
        + "2024-02-01 9:00:00 AM 张三 [广州](10001)\nagain\n",
    )

    first, second = activities(path).values()

    assert first.author == PersonRef("10001", "张三(Sam)")
    assert second.author == PersonRef("10001", "张三 [广州]")
    assert (first.external_id, second.external_id) == ("1706749200:10001:0", "1706749200:10001:1")


def test_the_time_zone_of_the_exporting_pc_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "2024-07-01 9:00:00 AM Li(10001)\nhi\n")

    (record,) = (r for r in parse(path, time_zone="Europe/Berlin") if isinstance(r, ActivityRecord))

    assert record.occurred_at == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("", None, "empty"),
        ("hello\nworld\n", 1, "not a QQ"),
        ("消息记录\n\n", 2, "no “消息对象”"),
        ("消息记录\n2024-01-01 9:00:00 AM Li(1)\nhi\n", 2, "before any “消息对象”"),
        ("消息记录\n消息对象:\n", 2, "“消息对象” is empty"),
        (HEAD + "just text\n", 9, "message header"),
        (HEAD + "2024-02-30 9:00:00 AM Li(10001)\nhi\n", 9, "not a valid date"),
        (HEAD + "2024-02-01 13:00:00 PM Li(10001)\nhi\n", 9, "between 1 and 12"),
        (HEAD + "2024-02-01 9:61:00 Li(10001)\nhi\n", 9, "not a valid date"),
    ],
)
def test_malformed_files_are_refused_at_their_line(
    tmp_path: Path, content: str, line: int | None, fragment: str
) -> None:
    error = errors_of(write(tmp_path, content))

    assert error.line == line
    assert fragment in str(error)
    if line is not None:
        assert f"line {line}" in str(error)


def test_a_bad_time_names_the_time_field(tmp_path: Path) -> None:
    error = errors_of(write(tmp_path, HEAD + "2024-13-01 9:00:00 AM Li(10001)\nhi\n"))

    assert error.field == "time" and "field “time”" in str(error)


def test_bytes_that_are_neither_utf8_nor_gbk_are_located(tmp_path: Path) -> None:
    good = (HEAD + "2024-02-01 9:00:00 AM 李伟(10001)\n中文内容\n").encode("utf-8")
    bad_at = good.index("内".encode())
    path = write(tmp_path, good[:bad_at] + b"\xff" + good[bad_at + 1 :])

    error = errors_of(path)

    assert error.offset == bad_at
    assert f"byte offset {bad_at}" in str(error) and "0xff" in str(error)


def test_a_utf8_file_cut_inside_a_character_is_reported_truncated(tmp_path: Path) -> None:
    good = (HEAD + "2024-02-01 9:00:00 AM 李伟(10001)\n中文内容").encode("utf-8")

    error = errors_of(write(tmp_path, good[:-1]))

    assert "truncated" in str(error)
    assert error.offset == len(good) - 3


def test_broken_utf16_is_located(tmp_path: Path) -> None:
    good = codecs.BOM_UTF16_LE + group_text().encode("utf-16-le")
    bad_at = 2 + 2 * 40
    path = write(
        tmp_path, good[:bad_at] + "\udc00".encode("utf-16-le", "surrogatepass") + good[bad_at:]
    )

    error = errors_of(path)

    assert error.offset == bad_at and "UTF-16" in str(error)


def check_records(records: list[Any]) -> None:
    """Every record is well-formed: channel first, UTC times, ids unique, JSON attrs."""
    channels: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for record in records:
        if isinstance(record, ChannelRecord):
            assert record.source == "qq" and record.external_id
            channels.add(record.external_id)
            continue
        assert isinstance(record, ActivityRecord)
        assert record.source == "qq" and record.channel in channels
        assert record.external_id and (record.channel, record.external_id) not in seen
        seen.add((record.channel, record.external_id))
        assert isinstance(record.kind, ActivityKind)
        assert record.occurred_at.utcoffset() is not None
        assert record.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert isinstance(record.author, PersonRef)
        orjson.dumps(record.attrs)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_corruption_yields_valid_records_or_a_format_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from([GROUP, MULTI])).read_bytes()
    action = data.draw(st.sampled_from(["truncate", "flip", "insert", "drop_line"]))
    position = data.draw(st.integers(0, len(original) - 1))
    if action == "truncate":
        corrupted = original[:position]
    elif action == "flip":
        corrupted = (
            original[:position] + bytes([data.draw(st.integers(0, 255))]) + original[position + 1 :]
        )
    elif action == "insert":
        corrupted = (
            original[:position] + data.draw(st.binary(min_size=1, max_size=8)) + original[position:]
        )
    else:
        lines = original.split(b"\n")
        del lines[position % len(lines)]
        corrupted = b"\n".join(lines)
    path = write(tmp_path, corrupted, "corrupt.txt")

    try:
        records = list(parse(path))
    except ImportFormatError:
        return
    check_records(records)

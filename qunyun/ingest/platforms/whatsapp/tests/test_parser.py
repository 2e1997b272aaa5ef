"""The WhatsApp importer reads chat exports, whatever the phone's locale, into records.

Fixtures are hand-made in the line shapes of real exports (FORMATS.md §7):

- ``WhatsApp Chat with 群运 Qunyun 社区.txt`` — Android, day-first, 24-hour clock;
- ``WhatsApp Chat with Weekend Hikers 周末徒步.txt`` — Android US, month-first, 12-hour
  clock with the narrow no-break space newer versions put before "PM";
- ``ios_chat.txt`` — iOS: ``[dd/mm/yy hh:mm:ss]``, U+200E marks, system lines attributed
  to the group; ``WhatsApp Chat - 读书会 Book Club.zip`` is the same chat as ``_chat.txt``
  with a photo, as iOS shares it;
- ``WhatsApp Chat with 深圳 Python 聚会.txt`` — a phone in Chinese (``2020/12/9 下午11:55``);
- ``ambiguous_order.txt`` — no date proves the order; only the whole file tells it.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.whatsapp.content import person
from qunyun.ingest.platforms.whatsapp.lines import OccurrenceCounter
from qunyun.ingest.platforms.whatsapp.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord, PersonRef

FIXTURES = Path(__file__).parent / "fixtures"
ANDROID = FIXTURES / "WhatsApp Chat with 群运 Qunyun 社区.txt"
US = FIXTURES / "WhatsApp Chat with Weekend Hikers 周末徒步.txt"
IOS = FIXTURES / "ios_chat.txt"
IOS_ZIP = FIXTURES / "WhatsApp Chat - 读书会 Book Club.zip"
CHINESE = FIXTURES / "WhatsApp Chat with 深圳 Python 聚会.txt"
AMBIGUOUS = FIXTURES / "ambiguous_order.txt"
ALL = (ANDROID, US, IOS, IOS_ZIP, CHINESE, AMBIGUOUS)


def activities(path: Path, **options: Any) -> dict[str, ActivityRecord]:
    return {r.external_id: r for r in parse(path, **options) if isinstance(r, ActivityRecord)}


def write(tmp_path: Path, content: str | bytes, name: str = "chat.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_zip(tmp_path: Path, members: dict[str, bytes], name: str = "chat.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def named(name: str) -> PersonRef:
    """The person WhatsApp shows as ``name``: id ``name:<name>``."""
    return person(name)


def test_the_registry_finds_the_whatsapp_parser() -> None:
    assert get_parser("whatsapp") is parse


def test_an_android_export_yields_its_channel_first_then_every_activity() -> None:
    records = list(parse(ANDROID))

    # The id is the name the group was created with; the name is today's (the file's).
    assert records[0] == ChannelRecord(
        source="whatsapp", external_id="群运 Qunyun 用户群", name="群运 Qunyun 社区", kind="group"
    )
    rest = records[1:]
    assert all(isinstance(r, ActivityRecord) for r in rest)
    assert Counter(r.kind for r in rest) == {
        ActivityKind.MESSAGE: 8,
        ActivityKind.JOIN: 3,
        ActivityKind.LEAVE: 2,
        ActivityKind.SERVICE: 4,
    }
    assert {(r.source, r.channel) for r in rest} == {("whatsapp", "群运 Qunyun 用户群")}
    assert len({r.external_id for r in rest}) == len(rest)


def test_day_first_times_are_read_in_the_phone_zone_and_numbered_per_minute() -> None:
    found = activities(ANDROID)

    first, second = found["1607529300:name:李伟:0"], found["1607529300:name:李伟:1"]
    # 09/12/2020 23:55 in Shanghai is 15:55 UTC on 9 December.
    assert first.occurred_at == second.occurred_at == datetime(2020, 12, 9, 15, 55, tzinfo=UTC)
    assert first.text == "大家好！欢迎加入 Welcome everyone"
    assert second.text == "请先看群公告\nsecond line 第二行\n\nfourth line after a blank"
    assert found["1607855100:name:李伟:0"].occurred_at == datetime(2020, 12, 13, 10, 25, tzinfo=UTC)


def test_one_person_is_one_id_whether_named_by_a_number_or_emoji() -> None:
    found = activities(ANDROID)

    number = PersonRef("name:+8613800138000", "+86 138 0013 8000")
    assert found["1607529060:name:李伟:0:join:0"].author == number
    assert found["1607529360:name:+8613800138000:0"].author == number
    assert found["1607854860:name:+8613800138000:0"].author == number
    assert found["1607559360:name:🌸🌸:0"].author == PersonRef("name:🌸🌸", "🌸🌸")
    # The number is the person's id and name, and is copied nowhere else.
    assert all(b"0013" not in orjson.dumps(r.attrs) for r in found.values())


def test_system_lines_become_joins_leaves_and_service_events() -> None:
    found = activities(ANDROID)

    banner = found["1607529000:system:0"]
    assert (banner.kind, banner.author, banner.attrs) == (
        ActivityKind.SERVICE,
        PersonRef("system", "WhatsApp", is_bot=True),
        {"action": "encryption_notice"},
    )
    created = found["1607529000:name:李伟:0"]
    assert created.attrs == {"action": "group_created", "title": "群运 Qunyun 用户群"}
    anna = found["1607529060:name:李伟:0:join:1"]
    assert (anna.author, anna.attrs) == (named("Anna Schmidt"), {"added_by": "name:李伟"})
    link = found["1607529720:name:Bob Lee:0"]
    assert (link.kind, link.attrs) == (ActivityKind.JOIN, {"via": "invite_link"})
    # A quoted subject may hold ": " without becoming a message of "李伟 changed …".
    subject = found["1607562000:name:李伟:0"]
    assert subject.attrs == {"action": "subject_changed", "title": "群运 Qunyun 社区: 2021"}
    code = found["1607565600:name:Anna Schmidt:0"]
    assert code.attrs == {"action": "security_code_changed"}
    removed = found["1607854800:name:李伟:0:leave:0"]
    assert (removed.kind, removed.author, removed.attrs) == (
        ActivityKind.LEAVE,
        named("Bob Lee"),
        {"removed": True, "removed_by": "name:李伟"},
    )
    assert found["1607854860:name:+8613800138000:0"].attrs == {"removed": False}


def test_media_deletions_and_markup_in_android_messages() -> None:
    found = activities(ANDROID)

    media = found["1607529660:name:Anna Schmidt:0"]
    assert (media.text, media.attrs) == ("", {"media": True, "media_not_included": True})
    deleted = found["1607563800:name:Bob Lee:0"]
    assert (deleted.kind, deleted.text, deleted.attrs) == (
        ActivityKind.MESSAGE,
        "",
        {"deleted": True},
    )
    assert found["1607855100:name:李伟:0"].text == (
        "<b>not bold</b> &amp; 12/12/2020, 10:00 is just text"
    )


def test_a_us_export_is_month_first_with_a_twelve_hour_clock() -> None:
    records = list(parse(US))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0] == ChannelRecord(
        source="whatsapp",
        external_id="Weekend Hikers 周末徒步",
        name="Weekend Hikers 周末徒步",
        kind="group",
    )
    # 12/13/20 8:05 AM is 13 December; 12:30 AM on the 14th is half past midnight.
    photo = found["1607817900:name:Tom Baker:0"]
    assert photo.occurred_at == datetime(2020, 12, 13, 0, 5, tzinfo=UTC)
    assert photo.text == "Summit photo 山顶"
    assert photo.attrs == {
        "media": True,
        "media_type": "photo",
        "file_name": "IMG-20201213-WA0001.jpg",
    }
    assert found["1607832000:name:Jerry Chen:0"].occurred_at == datetime(
        2020, 12, 13, 4, tzinfo=UTC
    )
    assert found["1607877000:name:Tom Baker:0"].occurred_at == datetime(
        2020, 12, 13, 16, 30, tzinfo=UTC
    )


def test_you_in_system_lines_is_the_exporting_phone_owner() -> None:
    found = activities(US)

    created = found["1607529300:self:0"]
    assert created.author == PersonRef("self", "You")
    added = found["1607529300:self:1:join:0"]
    assert (added.author, added.attrs) == (named("Tom Baker"), {"added_by": "self"})
    assert activities(IOS)["1609471504:name:王芳:0:join:0"].author == PersonRef("self", "you")


def test_an_ios_export_with_seconds_marks_and_group_attributed_system_lines() -> None:
    records = list(parse(IOS))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0].external_id == "读书会 Book Club"
    assert Counter(r.kind for r in found.values()) == {
        ActivityKind.MESSAGE: 7,
        ActivityKind.SERVICE: 2,
        ActivityKind.JOIN: 1,
        ActivityKind.LEAVE: 1,
    }
    welcome = found["1609471530:name:王芳:0"]
    assert welcome.occurred_at == datetime(2021, 1, 1, 3, 25, 30, tzinfo=UTC)
    assert found["1609471530:name:王芳:1"].text == "第一本书：《三体》"
    assert found["1609471503:name:王芳:0"].attrs == {
        "action": "group_created",
        "title": "读书会 Book Club",
    }
    kenji = PersonRef("name:~ Kenji", "~ Kenji")
    left = found["1610672400:name:~ Kenji:0"]
    assert (left.kind, left.author) == (ActivityKind.LEAVE, kenji)
    assert found["1609588800:name:王芳:0"].text == "Meeting at 8pm: bring notes"


def test_a_late_unambiguous_date_decides_the_order_of_earlier_lines() -> None:
    found = activities(IOS)

    # Only the last line (15/01/21) proves day-first: 02/01/21 is 2 January.
    meeting = found["1609588800:name:王芳:0"]
    assert meeting.occurred_at == datetime(2021, 1, 2, 12, 0, tzinfo=UTC)
    assert "date_order_guessed" not in meeting.attrs


def test_ios_attachments_omissions_deletions_and_edits() -> None:
    found = activities(IOS)

    assert found["1609471570:name:~ Kenji:0"].attrs == {
        "media": True,
        "media_type": "photo",
        "file_name": "00000003-PHOTO-2021-01-01-11-26-10.jpg",
    }
    assert found["1609471575:name:~ Kenji:0"].attrs == {
        "media": True,
        "media_not_included": True,
        "media_type": "photo",
    }
    assert found["1609588860:name:Jerry Chen:0"].attrs == {"deleted": True}
    edited = found["1609588920:name:Jerry Chen:0"]
    assert (edited.text, edited.attrs) == ("Sorry 打错了", {"edited": True})


def test_a_zip_is_read_in_place_and_matches_its_chat_text() -> None:
    zipped = list(parse(IOS_ZIP))

    assert zipped[0] == ChannelRecord(
        source="whatsapp", external_id="读书会 Book Club", name="读书会 Book Club", kind="group"
    )
    assert zipped[1:] == list(parse(IOS))[1:]


def test_an_android_zip_names_the_chat_after_its_single_text(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path,
        {
            "WhatsApp Chat with Weekend Hikers 周末徒步.txt": US.read_bytes(),
            "IMG-20201213-WA0001.jpg": b"\xff\xd8\xff",
        },
    )

    assert list(parse(path)) == list(parse(US))


def test_a_chinese_phone_export() -> None:
    records = list(parse(CHINESE))
    found = {r.external_id: r for r in records if isinstance(r, ActivityRecord)}

    assert records[0].external_id == "深圳 Python 聚会"
    assert Counter(r.kind for r in found.values()) == {
        ActivityKind.SERVICE: 3,
        ActivityKind.JOIN: 3,
        ActivityKind.MESSAGE: 4,
        ActivityKind.LEAVE: 2,
    }
    assert found["1607529000:system:0"].attrs == {"action": "encryption_notice"}
    # 下午11:55 is 23:55; 上午12:05 is five past midnight; 下午12:30 is half past noon.
    assert found["1607529300:name:张伟:0"].occurred_at == datetime(2020, 12, 9, 15, 55, tzinfo=UTC)
    assert found["1607529900:name:李娜:0"].occurred_at == datetime(2020, 12, 9, 16, 5, tzinfo=UTC)
    assert found["1607574600:name:王强:0"].occurred_at == datetime(2020, 12, 10, 4, 30, tzinfo=UTC)
    added = [found["1607529120:name:张伟:0:join:0"], found["1607529120:name:张伟:0:join:1"]]
    assert [r.author.external_id for r in added] == ["name:李娜", "name:+8613912345678"]
    assert found["1607562000:name:王强:0"].attrs == {"via": "invite_link"}
    assert found["1607562060:name:王强:0"].attrs["file_name"] == "IMG-20201210-WA0003.jpg"
    assert found["1607576400:name:+8613912345678:0"].attrs == {"removed": False}
    removed = found["1607580000:name:张伟:0:leave:0"]
    assert (removed.author.external_id, removed.attrs["removed"]) == ("name:王强", True)
    assert found["1607583600:name:李娜:0"].attrs == {"action": "security_code_changed"}


def test_an_ambiguous_file_takes_the_order_under_which_time_moves_forward() -> None:
    records = list(parse(AMBIGUOUS))
    times = [r.occurred_at.date().isoformat() for r in records if isinstance(r, ActivityRecord)]

    # Day-first would make 2/1/21 (the last line) 2 January, before 1 November.
    assert times == ["2021-01-02", "2021-01-03", "2021-01-04", "2021-01-11", "2021-02-01"]
    assert records[0] == ChannelRecord(
        source="whatsapp", external_id="ambiguous_order", name="ambiguous_order", kind=""
    )
    assert all("date_order_guessed" not in getattr(r, "attrs", {}) for r in records)


def test_an_undecidable_order_is_read_day_first_and_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, "3/4/21, 10:00 - Ana: hi\n3/4/21, 10:01 - Ben: ho\n")

    found = activities(path)

    assert {r.occurred_at.date().isoformat() for r in found.values()} == {"2021-04-03"}
    assert all(r.attrs["date_order_guessed"] is True for r in found.values())


def test_dates_that_read_the_same_either_way_are_not_a_guess(tmp_path: Path) -> None:
    path = write(tmp_path, "3/3/21, 10:00 - Ana: hi\n2021/3/4 10:00 - Ana: ho\n")

    assert all("date_order_guessed" not in r.attrs for r in activities(path).values())


def test_ids_are_stable_across_re_imports() -> None:
    for path in ALL:
        assert activities(path) == activities(path)


def test_names_are_normalised_into_one_id() -> None:
    assert person("+86 138-0013-8000").external_id == person("+86 138 0013 8000").external_id
    assert person("+86 138 0013 8000").display_name == "+86 138 0013 8000"
    assert person("\u200eAnna\u202fSchmidt ").display_name == "Anna Schmidt"
    assert person("Cafe\u0301").external_id == person("Café").external_id
    assert person("你").external_id == person("You").external_id == "self"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[3/17/23, 9:05:42\u202fAM] Ada Example: hi", datetime(2023, 3, 17, 1, 5, 42, tzinfo=UTC)),
        ("01/30/2019, 08:49 p. m. - Bob: x", datetime(2019, 1, 30, 12, 49, tzinfo=UTC)),
        ("13.09.20, 23:55 - Bob: x", datetime(2020, 9, 13, 15, 55, tzinfo=UTC)),
        ("[2018/06/13, 21:25:15] a: m", datetime(2018, 6, 13, 13, 25, 15, tzinfo=UTC)),
        ("13-06-2018, 01.55 PM - a: m", datetime(2018, 6, 13, 5, 55, tzinfo=UTC)),
        ("2020/12/9 上午12:00 - a: m", datetime(2020, 12, 8, 16, 0, tzinfo=UTC)),
        ("\u200e[17/03/23 21:05:42] Bo: spät", datetime(2023, 3, 17, 13, 5, 42, tzinfo=UTC)),
    ],
)
def test_locale_line_shapes(tmp_path: Path, line: str, expected: datetime) -> None:
    (record,) = activities(write(tmp_path, line + "\n")).values()

    assert record.occurred_at == expected
    assert record.kind == ActivityKind.MESSAGE and record.text


def test_an_empty_message_keeps_its_sender_and_a_nameless_line_is_a_system_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "13/01/2021, 00:00 - Ana: \n13/01/2021, 00:01 - : orphan\n")

    empty, orphan = activities(path).values()

    assert (empty.author.external_id, empty.text) == ("name:Ana", "")
    assert (orphan.kind, orphan.author.external_id, orphan.attrs) == (
        ActivityKind.SERVICE,
        "system",
        {"action": "system"},
    )


def test_the_same_second_counter_forgets_only_seconds_long_past() -> None:
    counter = OccurrenceCounter(window=60, limit=4)

    assert [counter.next(1000, "a"), counter.next(1000, "a"), counter.next(1000, "b")] == [0, 1, 0]
    for second in range(1001, 1010):
        counter.next(second, "a")
    assert counter.next(1000, "a") == 2  # within the window: still counted
    for second in range(2000, 3000):
        counter.next(second, "a")
    assert min(epoch for epoch, _who in counter.counts) >= 2000
    assert len(counter.counts) < 200  # bounded by the window, not by the 1000 seconds read


def test_the_phone_time_zone_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "01/07/2024, 09:00 - Ana: hi\n")

    (record,) = activities(path, time_zone="Europe/Berlin").values()

    assert record.occurred_at == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)


def test_a_bom_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    text = ANDROID.read_text(encoding="utf-8").replace("\n", "\r\n")
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode(), ANDROID.name)

    assert list(parse(path)) == list(parse(ANDROID))

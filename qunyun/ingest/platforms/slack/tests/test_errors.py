"""Broken, truncated and hostile Slack exports are refused, naming the place of the fault.

An import runs in one transaction, so raising after some good records is fine; what must
never happen is another exception type, or a half-broken record.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import zip_guard
from qunyun.ingest.platforms.slack import archive
from qunyun.ingest.platforms.slack.parser import parse
from qunyun.ingest.platforms.slack.tests.exports import (
    EXPORT_2025,
    as_json,
    assert_valid,
    folder_members,
    message,
    small_export,
    write_zip,
    zip_fixture,
)

DAY = "general/2025-01-10.json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def error_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        list(parse(path))
    return caught.value


# --- hostile archives: refused before any member is read -----------------------------


def test_a_zip_bomb_member_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    members = folder_members(EXPORT_2025)
    members["general/2025-01-09.json"] = b" " * (11 * 1024 * 1024)  # ~1000:1 deflated
    path = write_zip(tmp_path / "bomb.zip", members)

    error = error_of(path)

    assert "general/2025-01-09.json" in str(error) and "zip bomb" in str(error)
    assert error.path == str(path)


def test_a_large_member_that_compresses_normally_is_not_a_bomb(tmp_path: Path) -> None:
    members = folder_members(EXPORT_2025)
    members["__uploads/F07SHOT0001/screenshot.png"] = bytes(range(256)) * (45 * 1024)  # 11 MiB
    path = write_zip(tmp_path / "big.zip", members, compression=zipfile.ZIP_STORED)

    assert_valid(list(parse(path)))


def test_an_archive_that_unpacks_to_too_much_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zip_guard, "TOTAL_SIZE_LIMIT", 10_000)
    path = zip_fixture(tmp_path, EXPORT_2025)

    assert "more than 10000 bytes" in str(error_of(path))


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/evil", "general/../../x.json", "/etc/passwd", "C:\\evil.json"]
)
def test_member_names_that_escape_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    members = folder_members(EXPORT_2025)
    members[name] = b"[]"

    error = error_of(write_zip(tmp_path / "traversal.zip", members))

    assert "outside its folder" in str(error) and repr(name) in str(error)


def test_a_member_twice_is_refused(tmp_path: Path) -> None:
    path = zip_fixture(tmp_path, EXPORT_2025)
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as extra:
        extra.writestr("users.json", b"[]")  # a second users.json shadowing the first

    assert "'users.json' twice" in str(error_of(path))


def test_an_encrypted_member_is_refused_naming_it(tmp_path: Path) -> None:
    data = bytearray(zip_fixture(tmp_path, EXPORT_2025).read_bytes())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)  # the first member in the file: D07LIANNA1's day
        data[start + flags_at] |= 0x01
    path = tmp_path / "encrypted.zip"
    path.write_bytes(bytes(data))

    error = error_of(path)

    assert "encrypted" in str(error) and "D07LIANNA1/2025-01-12.json" in str(error)


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    data = zip_fixture(tmp_path, EXPORT_2025).read_bytes()
    path = tmp_path / "truncated.zip"
    path.write_bytes(data[: len(data) * 2 // 3])

    assert "not a ZIP archive, or it is truncated" in str(error_of(path))


def test_a_damaged_member_is_named(tmp_path: Path) -> None:
    path = small_export(tmp_path, message(text="x" * 2000))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive_file:
        info = archive_file.getinfo(DAY)
    data[info.header_offset + 30 + len(DAY) + 10] ^= 0xFF  # inside the deflated data
    path.write_bytes(bytes(data))

    error = error_of(path)

    assert "damaged" in str(error) and DAY in str(error)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not a ZIP archive"),
        (b'{"messages": []}', "not a ZIP archive"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a ZIP archive"),
    ],
)
def test_files_that_are_not_zips_are_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(content)

    assert expected in str(error_of(path))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "does not exist" in str(error_of(tmp_path / "nowhere.zip"))


def test_a_zip_that_is_not_a_slack_export_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "photos.zip", {"IMG_0001.jpg": b"\xff\xd8", "a/b.json": b"[]"})

    assert "not a Slack export" in str(error_of(path))


def test_a_zip_holding_two_exports_is_refused(tmp_path: Path) -> None:
    members = folder_members(EXPORT_2025)
    both = {f"{top}/{name}": data for top in ("2024", "2025") for name, data in members.items()}

    assert "several Slack exports (2024/, 2025/)" in str(
        error_of(write_zip(tmp_path / "x.zip", both))
    )


def test_a_file_too_large_to_parse_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MEMBER_SIZE_LIMIT", 2_000)
    path = small_export(tmp_path, message(text="长" * 1000), files={"users.json": []})

    error = error_of(path)

    assert "too large" in str(error) and DAY in str(error)


# --- broken JSON -----------------------------------------------------------------------


def test_a_truncated_day_file_is_located_by_line_and_offset(tmp_path: Path) -> None:
    good = as_json([message(), message("1736478700.000001")])
    cut = good.index(b"1736478700")
    path = small_export(tmp_path, files={DAY: good[:cut]})

    error = error_of(path)

    assert error.path.endswith(DAY)
    assert error.line == good[:cut].count(b"\n") + 1 and error.offset == cut
    assert f"line {error.line}" in str(error) and f"byte offset {cut}" in str(error)


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    good = as_json([message(text="群运社区")])
    bad_at = good.index("社".encode())
    broken = good[:bad_at] + b"\xb2\xe2" + good[bad_at + 3 :]  # GBK, not UTF-8
    path = small_export(tmp_path, files={DAY: broken})

    error = error_of(path)

    assert (error.offset, error.line) == (bad_at, 5)
    assert "not UTF-8" in str(error) and DAY in str(error)


def test_a_byte_order_mark_is_accepted_and_offsets_still_count_it(tmp_path: Path) -> None:
    good = b"\xef\xbb\xbf" + as_json([message()])
    broken = good[:-1]  # without the closing bracket
    ok = list(parse(small_export(tmp_path, files={DAY: good})))
    error = error_of(small_export(tmp_path, files={DAY: broken}))

    assert_valid(ok)
    assert len(ok) == 2
    assert error.offset == len(broken)


def test_nesting_too_deep_is_refused_without_exhausting_memory(tmp_path: Path) -> None:
    path = small_export(tmp_path, files={DAY: b"[" * 200_000})

    assert "depth" in str(error_of(path))


@pytest.mark.parametrize(
    ("member", "content", "expected"),
    [
        (DAY, b"", "empty"),
        (DAY, b'{"ts": "1.0"}', "day file is not a JSON array"),
        ("users.json", b'{"members": []}', "not a JSON array"),
        ("channels.json", b"[42]", "entry is not a JSON object"),
    ],
)
def test_files_of_the_wrong_shape_are_refused(
    tmp_path: Path, member: str, content: bytes, expected: str
) -> None:
    path = small_export(tmp_path, message(), files={member: content})

    error = error_of(path)

    assert expected in str(error) and error.path.endswith(member)


def test_a_listing_entry_without_id_or_name_is_named_by_index(tmp_path: Path) -> None:
    users = json.loads((EXPORT_2025 / "users.json").read_bytes())
    del users[2]["id"]
    no_id = error_of(small_export(tmp_path, message(), files={"users.json": users}))
    no_name = error_of(small_export(tmp_path, message(), files={"channels.json": [{"id": "C1"}]}))

    assert (no_id.record, no_id.field) == (3, "id") and "users.json" in str(no_id)
    assert (no_name.record, no_name.field) == (1, "name") and "record 1" in str(no_name)


# --- malformed messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "field", "fragment"),
    [
        ({"ts": None}, "ts", "no “ts”"),
        ({"ts": 1736478630.905399}, "ts", "not a Slack timestamp"),
        ({"ts": "yesterday"}, "ts", "'yesterday'"),
        ({"ts": "1736478630.9053991"}, "ts", "not a Slack timestamp"),
        ({"thread_ts": "parent"}, "thread_ts", "'parent'"),
        ({"subtype": 7}, "subtype", "not a string"),
        ({"text": ["a"]}, "text", "not a string"),
        ({"user": None}, "user", "no “user”"),
        ({"user": 42}, "user", "not a Slack id"),
        ({"reactions": {"tada": 1}}, "reactions", "not a list"),
        ({"reactions": [{"name": "tada", "users": "U1"}]}, "reactions", "malformed"),
        ({"reactions": [{"users": ["U1"], "count": 1}]}, "reactions", "malformed"),
        ({"edited": {"user": "U1"}}, "edited", "edited"),
    ],
)
def test_a_malformed_message_is_named_by_file_index_and_field(
    tmp_path: Path, broken: dict[str, Any], field: str, fragment: str
) -> None:
    bad = {**message("1736478700.000001"), **broken}
    bad = {key: value for key, value in bad.items() if value is not None}

    error = error_of(small_export(tmp_path, message(), bad))

    assert (error.record, error.field) == (2, field)
    assert DAY in str(error) and "record 2" in str(error) and f"field “{field}”" in str(error)
    assert fragment in str(error)


def test_a_message_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    error = error_of(small_export(tmp_path, message(), "hello"))

    assert error.record == 2 and "not a JSON object" in str(error)


# --- random corruption -----------------------------------------------------------------


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_corruption_yields_valid_records_or_an_import_format_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    members = folder_members(EXPORT_2025)
    name = data.draw(st.sampled_from(sorted(members)), label="member")
    content = members[name]
    how = data.draw(st.sampled_from(["truncate", "flip", "insert", "drop key", "zip bytes"]))
    if how == "truncate":
        members[name] = content[: data.draw(st.integers(0, len(content)))]
    elif how in ("flip", "insert"):
        at = data.draw(st.integers(0, len(content) - 1))
        byte = bytes([data.draw(st.integers(0, 255))])
        members[name] = content[:at] + byte + content[at + (how == "flip") :]
    elif how == "drop key":
        document = json.loads(content.decode("utf-8-sig"))
        entries = [e for e in (document if isinstance(document, list) else [document]) if e]
        if entries:
            entry = data.draw(st.sampled_from(entries))
            del entry[data.draw(st.sampled_from(sorted(entry)))]
        members[name] = as_json(document)
    path = write_zip(tmp_path / "corrupt.zip", members)
    if how == "zip bytes":
        raw = bytearray(path.read_bytes())
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        path.write_bytes(bytes(raw[: data.draw(st.integers(1, len(raw)))]))

    try:
        records = list(parse(path))
    except ImportFormatError as error:
        assert str(error)
    else:
        assert_valid(records)

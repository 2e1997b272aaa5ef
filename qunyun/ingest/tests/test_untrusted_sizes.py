"""Sizes an export cannot dictate: a ZIP bomb is refused before it is read, no reader takes
a line longer than the limit, and no activity carries a text beyond the limit — each with
a clear error naming the place, and nothing written."""

from __future__ import annotations

import json
import re
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qunyun.activity.models import Activity
from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms import get_parser
from qunyun.ingest.platforms.line_limit import MAX_LINE_BYTES
from qunyun.ingest.rows import MAX_TEXT_CHARS
from qunyun.workspaces.models import Workspace

LONG = MAX_LINE_BYTES + 1024  # bytes on one line, no newline before the end


def whatsapp_bomb(path: Path) -> Path:
    """A small ZIP whose _chat.txt holds one valid line, then 1 GiB without a newline."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("_chat.txt", "w", force_zip64=True) as chat,
    ):
        chat.write(b"12/9/20, 23:55 - Bob: hello\n")
        chunk = b"a" * (1 << 24)
        for _chunk in range(64):
            chat.write(chunk)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = whatsapp_bomb(tmp_path_factory.mktemp("bomb") / "WhatsApp Chat - bomb.zip")
    assert path.stat().st_size < 8 * 1024 * 1024
    return path


def test_a_whatsapp_zip_bomb_is_refused_before_it_is_read(db: None, bomb: Path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("import", "whatsapp", str(bomb), "--workspace", "bombed", "--no-progress")

    assert "nothing was written" in str(caught.value)
    assert re.search(
        r"'_chat.txt' is compressed \d{3,}:1, which only a zip bomb is", str(caught.value)
    )
    assert not Workspace.objects.filter(slug="bombed").exists()


def test_refusing_the_bomb_takes_almost_no_memory(bomb: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ImportFormatError):
            list(get_parser("whatsapp")(bomb))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 16 * 1024 * 1024  # bytes allocated at the worst moment: never inflated


def test_a_long_line_inside_a_plainly_stored_zip_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - long.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("_chat.txt", b"12/9/20, 23:55 - Bob: hello\n" + b"a" * LONG + b"\n")

    with pytest.raises(ImportFormatError) as caught:
        list(get_parser("whatsapp")(path))

    assert caught.value.line == 2
    assert "longer than 4 MiB" in caught.value.problem


def line_files(tmp_path: Path) -> dict[str, tuple[Path, int]]:
    """A file per line-based format whose line N is too long."""
    long_text = "a" * LONG  # (a text file's limit counts characters)
    files: dict[str, tuple[str, int]] = {
        "whatsapp": ("12/9/20, 23:55 - Bob: hello\n12/9/20, 23:56 - Bob: " + long_text, 2),
        "qq": (
            "消息记录（此消息记录为文本格式，不支持重新导入）\n\n"
            "================================================================\n"
            "消息分组:我的群聊\n"
            "================================================================\n"
            "消息对象:群(754869032)\n"
            "================================================================\n\n"
            "2024-09-21 8:03:15 PM 李伟(10001234)\n" + long_text + "\n",
            10,
        ),
        "wechat": (
            "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,"
            "Remark,NickName,Sender\n"
            "1,217,1,0,0,1726922910,2,hi,2024-09-21 20:48:30,张三,张三,wxid_zhangsan\n"
            "2,217,1,0,0,1726922911,2," + long_text + ",2024-09-21 20:48:31,张三,张三,wxid_z\n",
            3,
        ),
        "csv": (
            "external_id,kind,occurred_at,member_id,text\n"
            "1,message,2026-03-01T10:00:00Z,u1,hi\n"
            "2,message,2026-03-01T10:01:00Z,u1," + long_text + "\n",
            3,
        ),
        "jsonl": (
            json.dumps(
                {
                    "external_id": "1",
                    "kind": "message",
                    "member_id": "u1",
                    "occurred_at": "2026-03-01T10:00:00Z",
                }
            )
            + "\n"
            + json.dumps(
                {
                    "external_id": "2",
                    "kind": "message",
                    "member_id": "u1",
                    "occurred_at": "2026-03-01T10:00:00Z",
                    "text": long_text,
                },
                ensure_ascii=False,
            )
            + "\n",
            2,
        ),  # fmt: skip
    }
    written = {}
    for name, (text, line) in files.items():
        path = tmp_path / f"{name}.{'csv' if name in ('csv', 'wechat') else 'txt'}"
        path.write_text(text, encoding="utf-8")
        written[name] = (path, line)
    return written


@pytest.mark.parametrize("format_name", ["whatsapp", "qq", "wechat", "csv", "jsonl"])
def test_every_line_reader_refuses_a_line_beyond_the_limit(
    tmp_path: Path, format_name: str
) -> None:
    path, line = line_files(tmp_path)[format_name]

    with pytest.raises(ImportFormatError) as caught:
        list(get_parser(format_name)(path))

    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert "longer than 4 MiB" in caught.value.problem


def test_a_utf16_chat_with_a_line_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    text = "12/9/20, 23:55 - Bob: hello\r\n12/9/20, 23:56 - Bob: " + "a" * LONG
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))

    with pytest.raises(ImportFormatError) as caught:
        list(get_parser("whatsapp")(path))

    assert caught.value.line == 2


def telegram_with_text(path: Path, text: str) -> Path:
    document = {
        "name": "群",
        "type": "private_supergroup",
        "id": 1,
        "messages": [
            {"id": 1, "type": "message", "date": "2024-09-21T20:16:03",
             "date_unixtime": "1726920963", "from": "Ann", "from_id": "user1", "text": "hi"},
            {"id": 2, "type": "message", "date": "2024-09-21T20:17:03",
             "date_unixtime": "1726921023", "from": "Ann", "from_id": "user1", "text": text},
        ],
    }  # fmt: skip
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_an_activity_text_beyond_the_limit_is_refused_naming_the_record(
    db: None, tmp_path: Path
) -> None:
    path = telegram_with_text(tmp_path / "result.json", "长" * (MAX_TEXT_CHARS + 1))

    with pytest.raises(CommandError) as caught:
        call_command("import", "telegram", str(path), "--workspace", "tg", "--no-progress")

    message = str(caught.value)
    assert "nothing was written" in message
    assert f"file {path}, record 2, field “text”" in message
    assert "1,000,001 characters long; the limit is 1,000,000" in message
    assert Activity.objects.count() == 0


def test_a_long_but_allowed_text_is_imported_whole(db: None, tmp_path: Path) -> None:
    path = telegram_with_text(tmp_path / "result.json", "长" * 100_000)

    call_command("import", "telegram", str(path), "--workspace", "tg", "--no-progress")

    assert len(Activity.objects.get(external_id="2").text) == 100_000


def test_a_whatsapp_zip_gets_the_slack_archives_checks_too(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - escape.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_chat.txt", "12/9/20, 23:55 - Bob: hello\n")
        archive.writestr("../../etc/cron.d/evil", "x")

    with pytest.raises(ImportFormatError) as caught:
        list(get_parser("whatsapp")(path))

    assert "outside its folder" in caught.value.problem

"""Build Slack export ZIPs for the tests from the fixture folders or from plain data.

The fixture folders mirror real exports file for file: ``export_2016`` the layout and
fields of a genuine 2016 export (string ``created``, ``<@U…|name>`` mentions, legacy
``file``, bot messages without ``user``), ``export_2025`` a modern paid-plan export
(``groups.json``, ``mpims.json``, ``dms.json``, threads, ``user_profile``, ``bot_profile``,
``files``, a day file with a UTF-8 byte-order mark).
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qunyun.ingest.records import ActivityRecord, ChannelRecord

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT_2016 = FIXTURES / "export_2016"
EXPORT_2025 = FIXTURES / "export_2025"


def folder_members(folder: Path) -> dict[str, bytes]:
    """Return the files of a fixture folder as ZIP member name → bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_zip(
    path: Path,
    members: dict[str, bytes],
    *,
    prefix: str = "",
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write ``members`` (in the given order) into the ZIP ``path``, under ``prefix``."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(prefix + name, data)
    return path


def zip_fixture(tmp_path: Path, folder: Path, **options: Any) -> Path:
    return write_zip(tmp_path / f"{folder.name}.zip", folder_members(folder), **options)


def as_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=4).encode("utf-8")


def small_export(tmp_path: Path, *messages: Any, files: dict[str, Any] | None = None) -> Path:
    """A one-channel export (#general, C0GENERAL) whose 2025-01-10 day holds ``messages``.

    Its users are those of ``export_2025``; ``files`` adds or replaces members (JSON
    documents, or bytes written as they are).
    """
    members: dict[str, Any] = {
        "users.json": (EXPORT_2025 / "users.json").read_bytes(),
        "channels.json": [{"id": "C0GENERAL", "name": "general", "created": 1736467000}],
        "general/2025-01-10.json": list(messages),
    }
    members.update(files or {})
    encoded = {
        name: value if isinstance(value, bytes) else as_json(value)
        for name, value in members.items()
    }
    return write_zip(tmp_path / "export.zip", encoded)


def message(ts: str = "1736478630.905399", **fields: Any) -> dict[str, Any]:
    """A plain message by 李伟 (U07LIWEI01) in the modern shape."""
    return {"type": "message", "user": "U07LIWEI01", "text": "大家好 hello", "ts": ts, **fields}


def assert_valid(records: list[ChannelRecord | ActivityRecord]) -> None:
    """Check what every record must satisfy, whatever the input was."""
    channels: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for record in records:
        if isinstance(record, ChannelRecord):
            assert record.source == "slack" and record.external_id
            channels.add(record.external_id)
            continue
        assert isinstance(record, ActivityRecord)
        assert record.source == "slack" and record.channel in channels
        assert isinstance(record.occurred_at, datetime) and record.occurred_at.tzinfo is UTC
        assert record.external_id and (record.channel, record.external_id) not in seen
        seen.add((record.channel, record.external_id))
        assert record.author.external_id or record.author.display_name
        assert isinstance(record.text, str)
        json.dumps(record.attrs)

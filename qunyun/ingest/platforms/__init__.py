"""The registry of platform parsers: format name → parse function.

Each parser is ``parse(path: Path) -> Iterator[ChannelRecord | ActivityRecord]``; it
raises :class:`~qunyun.ingest.errors.ImportFormatError` for input it cannot read. The
modules are imported lazily so that the CLI starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path

from qunyun.ingest.records import ActivityRecord, ChannelRecord

Parse = Callable[[Path], Iterator[ChannelRecord | ActivityRecord]]

PARSERS: dict[str, str] = {
    "telegram": "qunyun.ingest.platforms.telegram.parser",
    "discord": "qunyun.ingest.platforms.discord.parser",
    "slack": "qunyun.ingest.platforms.slack.parser",
    "wechat": "qunyun.ingest.platforms.wechat.parser",
    "qq": "qunyun.ingest.platforms.qq.parser",
    "whatsapp": "qunyun.ingest.platforms.whatsapp.parser",
    "discourse": "qunyun.ingest.platforms.discourse.parser",
    "csv": "qunyun.ingest.platforms.generic.csv_parser",
    "jsonl": "qunyun.ingest.platforms.generic.jsonl_parser",
}


def get_parser(format_name: str) -> Parse:
    """Return the parse function of ``format_name`` (KeyError when unknown)."""
    module = import_module(PARSERS[format_name])
    parse: Parse = module.parse
    return parse

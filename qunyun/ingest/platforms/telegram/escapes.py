"""Repair tdesktop's ``\\xNN`` escapes, in a whole file or in a stream of chunks.

The exporter's JSON writer (``SerializeString`` in tdesktop
``Telegram/SourceFiles/export/output/export_output_json.cpp``) writes control characters
as ``\\x01``, which is not JSON; real exports that contain them fail in every strict
parser (tdesktop issue #27571, mlomb/chat-analytics#100). We rewrite exactly that escape
as ``\\u00NN`` and nothing else. Valid JSON never holds ``\\x`` after an escaping
backslash, so repairing a file that needs no repair changes nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import BinaryIO

from qunyun.ingest.platforms.json_export import UTF8_BOM

# ``\x`` + two hex digits, preceded by an even number of backslashes (an odd number
# would mean the backslash itself was escaped and the ``x`` is ordinary text).
BAD_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_REPAIRED = rb"\1\\u00\2"
# ``\xNN`` is four bytes: a backslash among the last three of a chunk may start one that
# the next chunk completes.
_ESCAPE_TAIL = 3
_LEFT_CHATS = b'"left_chats":'
# The key itself: a backslash before its quote would make it the end of another string.
_LEFT_CHATS_KEY = re.compile(rb'(?<!\\)"left_chats":')
_CHATS_KEY = b'"chats":     '


def repair_escapes(data: bytes) -> tuple[bytes, Callable[[int], int]]:
    """Rewrite ``\\xNN`` as ``\\u00NN``; return the text and a map back to old offsets."""
    # Each repair inserts two bytes; ``starts`` holds where the k-th repair begins in the
    # repaired text, so an offset there maps back by subtracting 2 per earlier repair.
    starts: list[int] = []

    def repair(match: re.Match[bytes]) -> bytes:
        starts.append(match.start(2) - 2 + 2 * len(starts))
        return match.group(1) + b"\\u00" + match.group(2)

    repaired = BAD_ESCAPE.sub(repair, data)

    def shift(offset: int) -> int:
        return offset - 2 * bisect_left(starts, offset)

    return repaired, shift


class RepairingReader:
    """A binary file whose ``read()`` drops a leading BOM and repairs ``\\xNN`` escapes.

    An escape cut by a read's end is held back until the next read completes it, and the
    backslashes before it travel with it, so their parity is always seen whole. Keeps
    where the last returned chunk began in the original file (``chunk_start``): a parser
    that fails while reading this file failed inside that chunk.

    With ``rename_left_chats``, the key ``"left_chats":`` reads as ``"chats":`` (padded
    with spaces to the same length, so offsets stay true): a parser then finds the
    messages of left chats under the same prefix as those of the other chats.
    """

    def __init__(
        self, raw: BinaryIO, chunk_size: int = 1 << 16, *, rename_left_chats: bool = False
    ) -> None:
        self._raw = raw
        self._chunk_size = chunk_size
        self._rename = rename_left_chats
        self._held = b""
        self._started = False
        #: Original offset of the first byte not yet returned (held bytes excluded).
        self.consumed = 0
        #: Original offset where the last returned chunk began.
        self.chunk_start = 0
        #: The last returned chunk as it was in the file, before repair.
        self.last_original = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        wanted = size if size > 0 else self._chunk_size
        while True:
            data = self._raw.read(wanted)
            at_end = not data
            if self._held:
                data = self._held + data
            if not self._started:
                if len(data) < len(UTF8_BOM) and not at_end:
                    self._held = data  # too short to tell whether it starts with a BOM
                    continue
                self._started = True
                if data.startswith(UTF8_BOM):
                    data = data[len(UTF8_BOM) :]
                    self.consumed = len(UTF8_BOM)
            keep = len(data) if at_end else _safe_end(data, self._rename)
            self._held = data[keep:]
            chunk = data[:keep] if keep < len(data) else data
            if chunk or at_end:
                break
        self.chunk_start = self.consumed
        self.consumed += len(chunk)
        self.last_original = chunk
        if b"\\x" in chunk:
            chunk = BAD_ESCAPE.sub(_REPAIRED, chunk)
        if self._rename and _LEFT_CHATS in chunk:
            chunk = _LEFT_CHATS_KEY.sub(_CHATS_KEY, chunk)
        return chunk


def _safe_end(data: bytes, rename: bool) -> int:
    """Return where ``data`` may be cut without splitting an escape or a renamed key.

    A cut is safe unless a backslash lies among the last three bytes, or the data ends
    with the beginning of ``"left_chats":``; then that part is kept for the next read,
    with the whole run of backslashes before it, so that their parity is seen whole.
    """
    end = len(data)
    last = data.rfind(b"\\", max(end - _ESCAPE_TAIL, 0))
    if last >= 0:
        end = last
    if rename:
        quote = data.find(b'"', max(len(data) - len(_LEFT_CHATS) + 1, 0))
        while quote >= 0 and not _LEFT_CHATS.startswith(data[quote:]):
            quote = data.find(b'"', quote + 1)
        if quote >= 0:
            end = min(end, quote)
    while end > 0 and data[end - 1] == 0x5C:  # b"\\"
        end -= 1
    return end

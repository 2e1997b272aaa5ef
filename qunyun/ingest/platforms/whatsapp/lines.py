"""Line-oriented chat exports (WhatsApp ``.txt``, QQ 消息记录): bytes → numbered lines.

Shared by the WhatsApp and QQ importers. It answers three questions both formats ask:

- *Which encoding?* A byte-order mark decides (UTF-8, UTF-16 LE/BE); without one the
  whole file must be strict UTF-8, or — for formats written by Chinese Windows software —
  strict GB18030. A file that is neither is refused with the byte offset of the fault.
- *Which line, which byte?* :func:`read_lines` yields ``(line number, byte offset, text)``
  one line at a time, so a large export never sits in memory, and no line is longer
  than :data:`~qunyun.ingest.platforms.line_limit.MAX_LINE_BYTES`. Lines end at ``\\n`` only
  (a trailing ``\\r`` is dropped); Unicode line separators inside a message stay text.
- *When, in UTC?* The exporters write the wall clock of the exporting device without a
  zone: :class:`LocalZone` converts it with a named IANA zone.

:class:`OccurrenceCounter` numbers messages that share a second and a sender, which is
how both formats build message ids when the export has none.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.line_limit import MAX_LINE_BYTES, bounded_lines, line_too_long

UTF8 = "utf-8"
UTF16_LE = "utf-16-le"
UTF16_BE = "utf-16-be"
GB18030 = "gb18030"
_BOMS = (
    (codecs.BOM_UTF8, UTF8),
    (codecs.BOM_UTF16_LE, UTF16_LE),
    (codecs.BOM_UTF16_BE, UTF16_BE),
)
_CHUNK = 1 << 20
_UTF16_DECODERS = {UTF16_LE: codecs.utf_16_le_decode, UTF16_BE: codecs.utf_16_be_decode}


@dataclass(frozen=True, slots=True)
class TextSource:
    """Bytes to read, perhaps more than once: a file, or a member of a ZIP archive.

    ``name`` is what errors call it (the file's path, or ``archive.zip:_chat.txt``).
    """

    name: str
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a source is encoded; ``skip`` is the length of its byte-order mark."""

    codec: str
    skip: int = 0


def detect_encoding(source: TextSource, *, legacy: bool) -> Encoding:
    """Return the encoding of ``source``: its byte-order mark, else UTF-8, else GB18030.

    GB18030 (a superset of GBK) is tried only when ``legacy`` is true, and only if the
    whole file decodes with it. Raises :class:`ImportFormatError` for an empty file and
    for bytes that fit no allowed encoding, naming the byte offset (and the line) where
    the likelier encoding failed.
    """
    with source.open() as handle:
        head = handle.read(4)
    if not head:
        raise ImportFormatError(_("The file is empty."), path=source.name)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return Encoding(codec, len(bom))
    utf8 = _first_fault(source, UTF8)
    if utf8 is None:
        return Encoding(UTF8)
    if utf8.truncated:
        # A file cut inside its last character: retrying as GB18030 would only turn
        # good UTF-8 into plausible-looking nonsense.
        raise ImportFormatError(
            _("The file ends in the middle of a UTF-8 character: it is truncated."),
            path=source.name,
            line=utf8.line,
            offset=utf8.offset,
        )
    if not legacy:
        raise utf8.error(source, _("The file is not UTF-8 text (byte %(byte)s)."))
    gb18030 = _first_fault(source, GB18030)
    if gb18030 is None:
        return Encoding(GB18030)
    # Name the place where the likelier encoding (the one that read further) failed.
    fault = gb18030 if gb18030.offset > utf8.offset else utf8
    raise fault.error(source, _("The file is neither UTF-8 nor GB18030 (GBK) text: byte %(byte)s."))


def read_lines(source: TextSource, encoding: Encoding) -> Iterator[tuple[int, int, str]]:
    """Yield ``(line number, byte offset, text)`` for each line, without its line end.

    Raises :class:`ImportFormatError` at the first byte that is not ``encoding``.
    """
    if encoding.codec in _UTF16_DECODERS:
        yield from _read_utf16_lines(source, encoding)
        return
    offset = 0
    with source.open() as handle:
        for number, raw in enumerate(bounded_lines(handle, path=source.name), start=1):
            start = offset
            offset += len(raw)
            if number == 1 and encoding.skip:
                raw, start = raw[encoding.skip :], encoding.skip
            try:
                text = raw.decode(encoding.codec)
            except UnicodeDecodeError as error:
                raise _decode_error(source, encoding.codec, raw, error, number, start) from None
            if text.endswith("\n"):
                text = text[:-2] if text.endswith("\r\n") else text[:-1]
            yield number, start, text


def _read_utf16_lines(source: TextSource, encoding: Encoding) -> Iterator[tuple[int, int, str]]:
    decode = _UTF16_DECODERS[encoding.codec]
    number, line_start, position = 1, encoding.skip, encoding.skip
    carry, pending = b"", ""
    with source.open() as handle:
        handle.read(encoding.skip)
        while True:
            chunk = handle.read(_CHUNK)
            final = not chunk
            data = carry + chunk
            try:
                text, consumed = decode(data, "strict", final)
            except UnicodeDecodeError as error:
                offset = position + error.start
                raise ImportFormatError(
                    _("The file is not UTF-16 text (byte %(byte)s).")
                    % {"byte": hex(data[error.start])},
                    path=source.name,
                    line=number
                    + (pending + data[: error.start].decode(encoding.codec, "replace")).count("\n"),
                    offset=offset,
                ) from None
            position += consumed
            carry = data[consumed:]
            parts = (pending + text).split("\n")
            pending = parts.pop()
            if len(pending) > MAX_LINE_BYTES // 2:  # two bytes a character, at least
                raise line_too_long(source.name, number + len(parts))
            for part in parts:
                yield number, line_start, part[:-1] if part.endswith("\r") else part
                line_start += len(part.encode(encoding.codec)) + 2
                number += 1
            if final:
                break
    if pending:
        yield number, line_start, pending[:-1] if pending.endswith("\r") else pending


@dataclass(frozen=True, slots=True)
class _Fault:
    """The first byte of a file that an encoding cannot read."""

    offset: int
    line: int
    byte: int | None  # None: the file ends inside a character
    truncated: bool

    def error(self, source: TextSource, problem: str) -> ImportFormatError:
        byte = "EOF" if self.byte is None else hex(self.byte)
        return ImportFormatError(
            problem % {"byte": byte}, path=source.name, line=self.line, offset=self.offset
        )


def _first_fault(source: TextSource, codec: str) -> _Fault | None:
    offset = 0
    with source.open() as handle:
        for number, raw in enumerate(bounded_lines(handle, path=source.name), start=1):
            try:
                raw.decode(codec)
            except UnicodeDecodeError as error:
                truncated = error.reason == "unexpected end of data" and not raw.endswith(b"\n")
                byte = raw[error.start] if error.start < len(raw) else None
                return _Fault(offset + error.start, number, byte, truncated)
            offset += len(raw)
    return None


def _decode_error(
    source: TextSource, codec: str, raw: bytes, error: UnicodeDecodeError, line: int, start: int
) -> ImportFormatError:
    names = {UTF8: "UTF-8", GB18030: "GB18030 (GBK)"}
    return ImportFormatError(
        _("The file is not %(encoding)s text (byte %(byte)s).")
        % {"encoding": names.get(codec, codec), "byte": hex(raw[error.start])},
        path=source.name,
        line=line,
        offset=start + error.start,
    )


class LocalZone:
    """Turns the exporting device's wall-clock times into aware UTC datetimes."""

    def __init__(self, name: str) -> None:
        try:
            self.zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone: {name!r}") from None
        self.name = name

    def to_utc(self, local: datetime) -> datetime | None:
        """Return the UTC time of the naive ``local``; ``None`` when out of range.

        A wall-clock time repeated by a daylight-saving change is read as its first
        occurrence; one skipped by it is shifted forward (PEP 495 ``fold=0``).
        """
        try:
            return local.replace(tzinfo=self.zone).astimezone(UTC)
        except (OverflowError, ValueError):
            return None


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class OccurrenceCounter:
    """Counts how often a (second, sender) pair has been seen: ``n`` in message ids.

    Exports are nearly in time order, so memory stays bounded: once more than
    ``limit`` pairs are held, pairs older than ``window`` seconds behind the newest
    time seen are forgotten. Only a message more than ``window`` older than one already
    read, sharing second and sender with a forgotten one, could then reuse an id.
    """

    def __init__(self, *, window: int = 86_400, limit: int = 100_000) -> None:
        self.window = window
        self.limit = limit
        self.counts: dict[tuple[int, str], int] = {}
        self.newest: int | None = None

    def next(self, epoch: int, who: str) -> int:
        key = (epoch, who)
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        if self.newest is None or epoch > self.newest:
            self.newest = epoch
        if len(self.counts) > self.limit:
            horizon = self.newest - self.window
            self.counts = {k: v for k, v in self.counts.items() if k[0] >= horizon}
            # Keep pruning rare even when a whole window holds more than ``limit``.
            self.limit = max(self.limit, 2 * len(self.counts))
        return n

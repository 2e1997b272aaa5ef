"""Which text encoding a WeChat CSV is in: UTF-8 (with or without a BOM) or GB18030.

WeChatMsg / 留痕 writes ``utf-8-sig``; its "export all" writes plain UTF-8; a file that
went through a Chinese Excel ("另存为 CSV") comes back in GBK, which GB18030 extends.
GBK bytes are rarely valid UTF-8, so UTF-8 is tried strictly first; GB18030 is taken
only when the *whole* file decodes with it, never as a guess for a broken UTF-8 file.

The check reads the file once in chunks, so memory stays small for any size.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

UTF8 = "utf-8-sig"
GB18030 = "gb18030"
_CHUNK = 1 << 20


def detect_encoding(path: Path) -> str:
    """Return ``"utf-8-sig"`` or ``"gb18030"``: the encoding the whole of ``path`` is in.

    A file that starts with a UTF-8 byte-order mark says it is UTF-8 and is never read
    as GB18030. Raises :class:`ImportFormatError` naming the line and byte offset of
    the first byte that cannot be decoded (in whichever encoding read further).
    """
    with path.open("rb") as handle:
        has_bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    bad_utf8 = first_undecodable(path, "utf-8")
    if bad_utf8 is None:
        return UTF8
    if not has_bom:
        bad_gb = first_undecodable(path, GB18030)
        if bad_gb is None:
            return GB18030
        if bad_gb > bad_utf8:
            # The encoding that read further is the one the file is most likely in.
            byte = _byte_at(path, bad_gb)
            raise ImportFormatError(
                _("The file is neither UTF-8 nor GB18030 text (byte %(byte)s).") % {"byte": byte},
                path=str(path),
                line=_line_of(path, bad_gb),
                offset=bad_gb,
            )
    raise ImportFormatError(
        _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": _byte_at(path, bad_utf8)},
        path=str(path),
        line=_line_of(path, bad_utf8),
        offset=bad_utf8,
    )


def first_undecodable(path: Path, encoding: str) -> int | None:
    """Return the byte offset of the first byte of ``path`` not valid in ``encoding``.

    ``None`` when the whole file decodes, including its last character.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0  # bytes of the file handed to the decoder so far
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            # Bytes of a character cut by the previous chunk's end are still pending.
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return offset - pending + error.start
            if not chunk:
                return None
            offset += len(chunk)


def _byte_at(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        byte = handle.read(1)
    return hex(byte[0]) if byte else "EOF"


def _line_of(path: Path, offset: int) -> int:
    """Return the 1-based line of the byte at ``offset``, reading in chunks."""
    newlines = 0
    with path.open("rb") as handle:
        left = offset
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            left -= len(chunk)
    return newlines + 1

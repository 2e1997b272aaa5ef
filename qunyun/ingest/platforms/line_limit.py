"""One line of an export may be long, but not unbounded: every line reader stops at
:data:`MAX_LINE_BYTES` with an error naming the line, instead of reading a gigabyte
without a newline into memory (a crafted file, or a broken one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, AnyStr

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

#: The longest line any line-based reader takes (bytes, or characters of a text file).
#: Chat messages are far shorter: WhatsApp's limit is 65,536 characters, a WeChat CSV row
#: is one message.
MAX_LINE_BYTES = 4 * 1024 * 1024


def bounded_lines(handle: IO[AnyStr], *, path: str, first_line: int = 1) -> Iterator[AnyStr]:
    """The lines of ``handle`` (line ends kept), refusing one longer than the limit.

    Raises :class:`ImportFormatError` naming ``path`` and the line number.
    """
    number = first_line
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES:
            raise line_too_long(path, number)
        yield line
        number += 1


def line_too_long(path: str, line: int) -> ImportFormatError:
    return ImportFormatError(
        _(
            "The line is longer than %(mib)d MiB: no export writes such lines, so the file "
            "is damaged or not an export of this kind."
        )
        % {"mib": MAX_LINE_BYTES // (1024 * 1024)},
        path=path,
        line=line,
    )

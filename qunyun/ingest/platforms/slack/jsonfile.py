"""Parse one JSON file of a Slack export, or say exactly where it is broken.

Each file is parsed whole with orjson: a day file holds one channel's messages of one
day, so it is small, and orjson refuses nesting deeper than 1024 levels (an incremental
parser that builds item paths would spend memory quadratic in the depth of a hostile
``[[[[…`` file).
"""

from __future__ import annotations

import codecs
from typing import Any

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError


def parse_json(data: bytes, where: str) -> Any:
    """Return the JSON document ``data`` read from the file ``where``.

    Accepts a leading UTF-8 byte-order mark. Raises :class:`ImportFormatError` naming
    the line and byte offset of broken JSON or of the first byte that is not UTF-8.
    """
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if skipped:
        data = data[skipped:]
    if not data or data.isspace():
        raise ImportFormatError(_("The file is empty."), path=where)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        failure = error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise ImportFormatError(
            _("The file is not UTF-8 text (byte %(byte)s).") % {"byte": hex(data[bad.start])},
            path=where,
            line=data.count(b"\n", 0, bad.start) + 1,
            offset=bad.start + skipped,
        ) from None
    offset = len(text[: failure.pos].encode("utf-8"))
    raise ImportFormatError(
        _("Invalid JSON at column %(column)d: %(reason)s")
        % {"column": failure.colno, "reason": failure.msg},
        path=where,
        line=failure.lineno,
        offset=offset + skipped,
    )

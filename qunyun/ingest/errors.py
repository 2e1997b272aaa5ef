"""Errors a parser raises for input it cannot read."""

from __future__ import annotations

import lzma
import zipfile
import zlib

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qunyun.errors import QunyunError


class ImportFormatError(QunyunError):
    """The file is not what its format promises.

    Carries the place of the fault so that the operator can find it: the file, and a
    line, a byte offset or a record index, and the field when one is known — or, for a
    batch sent to the API, the ``item`` as a JSON path (``activities[3].occurred_at``),
    which is then the whole place.
    The message is translated when it is rendered (``str(error)``), in the active
    language.
    """

    code = "import_format"
    http_status = 400

    def __init__(
        self,
        problem: str,
        *,
        path: str = "",
        line: int | None = None,
        offset: int | None = None,
        record: int | None = None,
        field: str | None = None,
        item: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.item = item
        self.path = path
        self.line = line
        self.offset = offset
        self.record = record
        self.field = field

    def place(self) -> str:
        if self.item:  # a JSON path names the field already
            return self.item
        parts: list[str] = []
        if self.path:
            parts.append(_("file %(path)s") % {"path": self.path})
        if self.line is not None:
            parts.append(_("line %(line)d") % {"line": self.line})
        if self.offset is not None:
            parts.append(_("byte offset %(offset)d") % {"offset": self.offset})
        if self.record is not None:
            parts.append(_("record %(record)d") % {"record": self.record})
        if self.field:
            parts.append(_("field “%(field)s”") % {"field": self.field})
        return pgettext("list separator", ", ").join(parts)

    def __str__(self) -> str:
        place = self.place()
        return (
            pgettext("place: problem", "%(place)s: %(problem)s")
            % {"place": place, "problem": self.problem}
            if place
            else self.problem
        )


class SyncError(QunyunError):
    """A live source (a forum's API) could not be read; the message names the address.

    The API answers 502: the fault is upstream, not in the request. Each platform's
    client derives its own error from this one
    (:class:`qunyun.ingest.platforms.discourse.client.DiscourseSyncError`).
    """

    code = "sync_failed"
    http_status = 502


#: What zipfile and its decompressors raise while a damaged or unsupported archive member
#: is read. (Not ValueError: where the parse of a member runs inside the ``try``, a
#: ValueError is the parser's; the Slack reader, which only reads bytes, adds it.)
ZIP_READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)

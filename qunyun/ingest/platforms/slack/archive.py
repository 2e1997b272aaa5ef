"""Open a Slack export — the ZIP as downloaded, or the folder it unpacks to — safely.

An export is untrusted input: the ZIP goes through the importers' one guard
(:mod:`qunyun.ingest.platforms.zip_guard`: no extraction, no bombs, no escaping names).
The export's files may sit at the root of the ZIP or inside one top-level folder (what
re-zipping an unpacked export produces).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import TracebackType

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ZIP_READ_ERRORS, ImportFormatError
from qunyun.ingest.platforms import json_export
from qunyun.ingest.platforms.zip_guard import checked_members, open_zip

#: Each JSON file is parsed in memory (one day of one channel at a time), so one file
#: may not be larger than this.
MEMBER_SIZE_LIMIT = 256 * 1024**2

#: Files that only a Slack export has at its root.
MARKERS = ("channels.json", "users.json", "groups.json", "mpims.json", "dms.json")

# Reading bytes only (no parsing inside the ``try``), so a ValueError is the archive's too.
_ZIP_ERRORS: tuple[type[Exception], ...] = (*ZIP_READ_ERRORS, ValueError)


class SlackExport:
    """The files of one export, named relative to the export's root (``general/x.json``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._sizes: dict[str, int] = {}
        self._prefix = ""
        if path.is_dir():
            self._sizes = _folder_sizes(path)
        else:
            self._zip = open_zip(path)
            self._infos = checked_members(self._zip, path)
            self._sizes = {name: info.file_size for name, info in self._infos.items()}
        self._prefix = _export_root(self._sizes, path)
        cut = len(self._prefix)
        #: Relative name → uncompressed size, for every file under the export's root.
        self.files: dict[str, int] = {
            name[cut:]: size for name, size in self._sizes.items() if name.startswith(self._prefix)
        }

    def __enter__(self) -> SlackExport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def where(self, name: str) -> str:
        """The place of ``name`` for error messages: ``export.zip/general/2016-01-15.json``."""
        return f"{self.path}/{self._prefix}{name}"

    def read(self, name: str) -> bytes:
        """Return the bytes of the file ``name`` (relative to the export's root)."""
        size = self.files[name]
        if size > MEMBER_SIZE_LIMIT:
            raise ImportFormatError(
                _("The file is too large to read (%(size)d bytes; the limit is %(limit)d).")
                % {"size": size, "limit": MEMBER_SIZE_LIMIT},
                path=self.where(name),
            )
        full_name = self._prefix + name
        if self._zip is None:
            try:
                return (self.path / full_name).read_bytes()
            except OSError as error:
                raise json_export.unreadable_file(self.where(name), error) from None
        info = self._infos[full_name]
        if info.flag_bits & 0x1:
            raise ImportFormatError(
                _("The file is encrypted in the ZIP archive."), path=self.where(name)
            )
        try:
            with self._zip.open(info) as member:
                return member.read()
        except _ZIP_ERRORS as error:
            raise ImportFormatError(
                _("The ZIP archive is damaged: %(reason)s") % {"reason": error},
                path=self.where(name),
            ) from None


def _folder_sizes(root: Path) -> dict[str, int]:
    """Return name → size of the files of an unpacked export, two folder levels deep.

    Two levels are enough for ``[top folder/]channel/day.json``; deeper files (such as
    downloaded attachments) are never part of the history.
    """
    sizes: dict[str, int] = {}
    try:
        for first in root.iterdir():
            if first.is_file():
                sizes[first.name] = first.stat().st_size
            elif first.is_dir():
                for second in first.iterdir():
                    if second.is_file():
                        sizes[f"{first.name}/{second.name}"] = second.stat().st_size
                    elif second.is_dir():
                        for third in second.iterdir():
                            if third.is_file():
                                name = f"{first.name}/{second.name}/{third.name}"
                                sizes[name] = third.stat().st_size
    except OSError as error:
        raise ImportFormatError(
            _("The folder cannot be read: %(reason)s") % {"reason": error.strerror},
            path=str(root),
        ) from None
    return sizes


def _export_root(names: dict[str, int], path: Path) -> str:
    """Return the folder prefix (``""`` or ``"top/"``) under which the export's files are."""
    if any(marker in names for marker in MARKERS):
        return ""
    prefixes = sorted(
        {
            top + "/"
            for top, _slash, base in (name.partition("/") for name in names)
            if base in MARKERS
        }
    )
    if len(prefixes) == 1:
        return prefixes[0]
    if prefixes:
        raise ImportFormatError(
            _("The archive holds several Slack exports (%(folders)s); import them one by one.")
            % {"folders": ", ".join(prefixes)},
            path=str(path),
        )
    raise ImportFormatError(
        _("This is not a Slack export: it has no “channels.json” or “users.json”."),
        path=str(path),
    )

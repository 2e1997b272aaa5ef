"""Open a Slack export — the ZIP as downloaded, or the folder it unpacks to — safely.

An export is untrusted input, so nothing is ever extracted to disk: members are read
with :meth:`zipfile.ZipFile.open`. Before any member is read, the central directory is
checked for a zip bomb (too much uncompressed data in total, or a large member with an
absurd compression ratio) and for member names that would escape a folder (absolute
paths, ``..``). The export's files may sit at the root of the ZIP or inside one
top-level folder (what re-zipping an unpacked export produces).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import TracebackType

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ZIP_READ_ERRORS, ImportFormatError

#: Refuse an archive that would unpack to more than this many bytes in total.
TOTAL_SIZE_LIMIT = 20 * 1024**3
#: Refuse a member above :data:`RATIO_CHECK_ABOVE` bytes that is compressed more than this.
RATIO_LIMIT = 200
RATIO_CHECK_ABOVE = 10 * 1024**2
#: Each JSON file is parsed in memory (one day of one channel at a time), so one file
#: may not be larger than this.
MEMBER_SIZE_LIMIT = 256 * 1024**2

#: Files that only a Slack export has at its root.
MARKERS = ("channels.json", "users.json", "groups.json", "mpims.json", "dms.json")

_DRIVE = re.compile(r"^[A-Za-z]:")
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
            self._zip = _open_zip(path)
            self._infos = _checked_members(self._zip, path)
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
                raise ImportFormatError(
                    _("The file cannot be read: %(reason)s") % {"reason": error.strerror},
                    path=self.where(name),
                ) from None
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


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ImportFormatError(_("The file does not exist."), path=str(path)) from None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError):
        raise ImportFormatError(
            _("This is not a ZIP archive, or it is truncated or damaged."), path=str(path)
        ) from None
    except _ZIP_ERRORS as error:
        raise ImportFormatError(
            _("The ZIP archive is damaged: %(reason)s") % {"reason": error}, path=str(path)
        ) from None


def _checked_members(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """Return name → entry of the archive's files, refusing bombs and escaping names.

    Reads only the central directory; the sizes it declares are the ones zipfile
    enforces while reading (a member that inflates beyond them fails its CRC check).
    """
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
            raise ImportFormatError(
                _("The ZIP archive has a member outside its folder: %(name)r") % {"name": name},
                path=str(path),
            )
        if info.is_dir():
            continue
        if name in members:
            raise ImportFormatError(
                _("The ZIP archive has the member %(name)r twice.") % {"name": name},
                path=str(path),
            )
        total += info.file_size
        if total > TOTAL_SIZE_LIMIT:
            raise ImportFormatError(
                _("The ZIP archive would unpack to more than %(limit)d bytes.")
                % {"limit": TOTAL_SIZE_LIMIT},
                path=str(path),
            )
        if info.file_size > RATIO_CHECK_ABOVE and (
            info.file_size > RATIO_LIMIT * info.compress_size
        ):
            raise ImportFormatError(
                _("The ZIP member %(name)r is compressed %(ratio)s:1, which only a zip bomb is.")
                % {"name": name, "ratio": _ratio(info)},
                path=str(path),
            )
        members[name] = info
    return members


def _ratio(info: zipfile.ZipInfo) -> str:
    return f"{info.file_size / info.compress_size:.0f}" if info.compress_size else "∞"


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

"""Open an export's ZIP archive safely: one guard for every importer that reads a ZIP.

An export is untrusted input, so nothing is ever extracted to disk: members are read
with :meth:`zipfile.ZipFile.open`. Before any member is read, the central directory is
checked for a zip bomb (too much uncompressed data in total, or a large member with an
absurd compression ratio) and for member names that would escape a folder (absolute
paths, ``..``) or appear twice. The sizes the directory declares are the ones zipfile
enforces while reading: a member that inflates beyond its declared size fails its CRC
check, so the ratio check cannot be cheated by lying about sizes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ZIP_READ_ERRORS, ImportFormatError

#: Refuse an archive that would unpack to more than this many bytes in total.
TOTAL_SIZE_LIMIT = 20 * 1024**3
#: Refuse a member above :data:`RATIO_CHECK_ABOVE` bytes that is compressed more than this.
RATIO_LIMIT = 200
RATIO_CHECK_ABOVE = 10 * 1024**2

_DRIVE = re.compile(r"^[A-Za-z]:")
# Opening reads bytes only (no parsing inside the ``try``), so a ValueError is the
# archive's too.
_OPEN_ERRORS: tuple[type[Exception], ...] = (*ZIP_READ_ERRORS, ValueError)


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive at ``path``; :class:`ImportFormatError` when it is not a readable ZIP."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ImportFormatError(_("The file does not exist."), path=str(path)) from None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError):
        # (NotImplementedError: a damaged header claiming a ZIP version nobody made)
        raise ImportFormatError(
            _("This is not a ZIP archive, or it is truncated or damaged."), path=str(path)
        ) from None
    except _OPEN_ERRORS as error:
        raise ImportFormatError(
            _("The ZIP archive is damaged: %(reason)s") % {"reason": error}, path=str(path)
        ) from None


def checked_members(archive: zipfile.ZipFile, path: Path) -> dict[str, zipfile.ZipInfo]:
    """Return name → entry of the archive's files, refusing bombs and escaping names.

    Reads only the central directory. Folders are left out.
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

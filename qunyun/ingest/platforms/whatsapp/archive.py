"""The chat inside a WhatsApp export: a ``.txt``, or the ``.zip`` a phone shares.

Android shares ``WhatsApp Chat with <name>.zip`` holding ``WhatsApp Chat with
<name>.txt`` and the media; iOS shares ``WhatsApp Chat - <name>.zip`` holding
``_chat.txt``. The text is read from the archive in place, never extracted, after the
importers' ZIP guard (:mod:`qunyun.ingest.platforms.zip_guard`) has checked the archive.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

from qunyun.ingest.errors import ImportFormatError

_ZIP_MAGIC = b"PK\x03\x04"
_CHAT_MEMBER = "_chat.txt"
#: File names the exporter gives a chat, around the chat's name.
_STEMS = (
    re.compile(r"^WhatsApp Chat with (?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^WhatsApp Chat - (?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^与(?P<name>.+?)的 ?WhatsApp ?聊天(?:记录)?$"),
    re.compile(r"^WhatsApp ?聊天(?:记录)? ?[-–] ?(?P<name>.+)$"),
)


def is_zip(path: Path) -> bool:
    """Whether ``path`` is a ZIP archive (by its name or its first bytes)."""
    if path.suffix.lower() == ".zip":
        return True
    with path.open("rb") as handle:
        return handle.read(4) == _ZIP_MAGIC


def chat_member(files: dict[str, zipfile.ZipInfo], path: Path) -> zipfile.ZipInfo:
    """Return the chat text among the archive's ``files`` (name → entry, checked by the
    ZIP guard): ``_chat.txt``, else its only ``.txt`` file."""
    members = [m for name, m in files.items() if "__MACOSX" not in name]
    chats = [m for m in members if PurePosixPath(m.filename).name == _CHAT_MEMBER]
    texts = chats or [m for m in members if m.filename.lower().endswith(".txt")]
    if len(texts) != 1:
        problem = (
            _("The archive holds no chat text (“_chat.txt” or one “.txt” file).")
            if not texts
            else _("The archive holds several chat texts: %(names)s")
            % {"names": ", ".join(m.filename for m in texts[:5])}
        )
        raise ImportFormatError(problem, path=str(path))
    member = texts[0]
    if member.flag_bits & 0x1:
        raise ImportFormatError(
            _("The chat inside the archive is encrypted."), path=str(path), field=member.filename
        )
    if member.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
        zipfile.ZIP_BZIP2,
        zipfile.ZIP_LZMA,
    ):
        raise ImportFormatError(
            _("The chat inside the archive uses an unknown compression."),
            path=str(path),
            field=member.filename,
        )
    return member


def name_from_stem(stem: str) -> str:
    """Return the chat's name in a file name (``WhatsApp Chat with 家人`` → ``家人``)."""
    for pattern in _STEMS:
        found = pattern.match(stem)
        if found:
            return found["name"].strip()
    return stem

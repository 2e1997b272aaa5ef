"""People and message bodies of a WhatsApp export: names as ids, media and deletions.

WhatsApp exports name people only as the exporting phone shows them — a contact's name,
a phone number (``+86 138 0013 8000``) or a profile name, possibly emoji only — and
never give a user id. Each shown name becomes the stable id ``name:<normalised name>``
so that all messages, joins and leaves of one person land on one member. A phone
number is kept exactly as the id and name the export shows, and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from qunyun.ingest.platforms.whatsapp.dates import MARKS
from qunyun.ingest.records import PersonRef

#: The exporting phone's owner, as system lines call them ("You added Bob").
SELF_NAMES = frozenset({"you", "你", "您"})
SELF_ID = "self"
#: Author of system lines that name nobody (the encryption banner, unknown notices).
SYSTEM = PersonRef(external_id="system", display_name="WhatsApp", is_bot=True)

_NO_MARKS = str.maketrans("", "", MARKS)
_PHONE = re.compile(r"^\+?[\d\s\-().]+$")
_OMITTED = {
    "<media omitted>": None,
    "image omitted": "photo",
    "video omitted": "video",
    "audio omitted": "audio",
    "sticker omitted": "sticker",
    "gif omitted": "gif",
    "document omitted": "document",
    "contact card omitted": "contact",
}
_OMITTED_ZH = re.compile(
    r"^<[^<>]*(?:省略|忽略)[^<>]*>$|^(?:图片|视频|音频|贴图|动图|文档)已?(?:省略|忽略)$"
)
_ZH_TYPES = (("图片", "photo"), ("视频", "video"), ("音频", "audio"), ("贴图", "sticker"))
_ATTACHED = re.compile(r"^<(?:attached|附件)\s*[:：]\s*(?P<file>[^<>]+?)\s*>$", re.IGNORECASE)
_FILE_ATTACHED = re.compile(
    r"^(?P<file>\S.*?)\s+\((?:file attached|文件已附上|已附上文件|附件)\)$", re.IGNORECASE
)
_FILE_TYPES = re.compile(r"(?:^|-)(PHOTO|IMG|VIDEO|VID|AUDIO|PTT|AUD|STICKER|STK|GIF)-")
_TYPE_NAMES = {
    "PHOTO": "photo",
    "IMG": "photo",
    "VIDEO": "video",
    "VID": "video",
    "AUDIO": "audio",
    "PTT": "audio",
    "AUD": "audio",
    "STICKER": "sticker",
    "STK": "sticker",
    "GIF": "gif",
}
_DELETED = frozenset(
    {
        "this message was deleted",
        "you deleted this message",
        "此消息已删除",
        "你删除了此消息",
        "您删除了此消息",
    }
)
_EDITED = "<This message was edited>"


def clean_name(raw: str) -> str:
    """Return a name without direction marks, in NFC, with single spaces."""
    text = unicodedata.normalize("NFC", raw.translate(_NO_MARKS))
    return " ".join(text.split())


def person(raw: str) -> PersonRef:
    """Return the person a name denotes; ``name:`` + the normalised name is their id.

    Spaces, dashes, dots and brackets inside a phone number are dropped from the id, so
    that ``+86 138-0013-8000`` and ``+86 138 0013 8000`` are one person.
    """
    shown = clean_name(raw)
    if shown.lower() in SELF_NAMES:
        return PersonRef(external_id=SELF_ID, display_name=shown)
    key = shown
    if _PHONE.match(shown):
        digits = "".join(ch for ch in shown if ch.isdigit())
        if len(digits) >= 7:
            key = ("+" if shown.startswith("+") else "") + digits
    return PersonRef(external_id=f"name:{key}", display_name=shown)


def media_attrs(line: str) -> dict[str, Any] | None:
    """Return the media described by a message's first line, or ``None`` if it is text."""
    text = line.strip(MARKS + " ")
    if not (text.endswith((">", ")", "略")) or text[-7:].lower() == "omitted"):
        return None  # the common case, decided without a regex
    lowered = text.lower()
    if lowered in _OMITTED:
        media_type = _OMITTED[lowered]
        attrs: dict[str, Any] = {"media": True, "media_not_included": True}
        if media_type:
            attrs["media_type"] = media_type
        return attrs
    if _OMITTED_ZH.match(text):
        attrs = {"media": True, "media_not_included": True}
        for word, media_type in _ZH_TYPES:
            if word in text:
                attrs["media_type"] = media_type
                break
        return attrs
    found = _ATTACHED.match(text) or _FILE_ATTACHED.match(text)
    if found is None:
        return None
    file_name = found["file"].strip()
    typed = _FILE_TYPES.search(file_name.upper())
    return {
        "media": True,
        "media_type": _TYPE_NAMES[typed[1]] if typed else "file",
        "file_name": file_name,
    }


def message_body(text: str) -> tuple[str, dict[str, Any]]:
    """Return the text of a message body and what it says about itself.

    Media placeholders and deletion notices are replaced by attrs (a caption on the
    following lines stays as the text); the iOS "edited" suffix becomes ``edited``.
    """
    first, newline, rest = text.partition("\n")
    attrs = media_attrs(first)
    if attrs is not None:
        text = rest if newline else ""
    else:
        attrs = {}
        text = text.lstrip(MARKS)
        if len(text) < 40 and text.strip(MARKS + " .").lower() in _DELETED:
            return "", {"deleted": True}
    if text.endswith(_EDITED):
        text = text[: -len(_EDITED)].rstrip(MARKS + " ")
        attrs["edited"] = True
    return text, attrs

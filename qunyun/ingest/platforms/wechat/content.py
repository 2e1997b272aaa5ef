"""What a WeChat message is and carries: its type, and the few facts kept from its XML.

``Type`` / ``SubType`` are the PC WeChat 3.x ``MSG`` table's codes (the table PyWxDump and
WeChatMsg document). ``StrContent`` is the text of a text message and an XML document
for most other types. The XML is read only to pick a title, a link or the quoted message
of a reply; it never becomes an activity's text, and coordinates (locations), contact
cards and money amounts are not copied.

There is no ``defusedxml`` here, so :func:`parse_xml` refuses any document with a DTD
before handing it to :mod:`xml.etree`: without a DTD no entity can be declared, hence
none is ever expanded, and ElementTree never fetches external resources.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 (guarded by parse_xml, see above)
from dataclasses import dataclass
from typing import Any

TEXT = 1
APP = 49
#: Message types that are something a member sent, by name (``attrs["message_type"]``).
MESSAGE_TYPES = {
    1: "text",
    3: "image",
    34: "voice",
    42: "card",
    43: "video",
    47: "sticker",
    48: "location",
    49: "app",
}
#: Sub types of type 49 ("app messages").
APP_SUBTYPES = {
    3: "music",
    5: "link",
    6: "file",
    8: "gif",
    19: "merged_forward",
    33: "mini_program",
    36: "mini_program",
    51: "channels_video",
    57: "quote",
    62: "pat",
    87: "group_notice",
    2000: "transfer",
    2001: "red_packet",
    2003: "red_packet_cover",
}
#: Types that are events rather than messages: ``attrs["action"]`` of the service record.
SERVICE_TYPES = {37: "friend_request", 50: "voip"}
SYSTEM_TYPES = frozenset({10000, 10002})
QUOTE = 57
PAT = 62
# App messages whose <title> is the name of what was shared, worth keeping.
_TITLED = frozenset(
    {"music", "link", "file", "merged_forward", "mini_program", "channels_video", "group_notice"}
)
_MAX_XML = 1 << 20
_MAX_TITLE = 200
_MAX_URL = 500
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def small_int(value: str) -> int | None:
    """Return the non-negative integer ``value`` ("1628863878"), or ``None``.

    Only ASCII digits, and at most 18 of them: Python refuses to convert very long digit
    strings, and no WeChat id or time is that long.
    """
    if 0 < len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def message_type(type_code: int, sub_type: int) -> str:
    """Return the name of a message type: ``"image"``, ``"link"``, ``"red_packet"``, …"""
    if type_code == APP:
        return APP_SUBTYPES.get(sub_type, "app")
    return MESSAGE_TYPES.get(type_code, "other")


def parse_xml(payload: str) -> ET.Element | None:
    """Return the root element of the XML in ``payload``, or ``None`` if it is not XML.

    Text before the first ``<`` is skipped (mobile databases prefix group messages with
    ``wxid:\\n``). Documents with a DTD, and documents over 1 MiB, are refused unread.
    """
    start = payload.find("<")
    if start < 0 or len(payload) - start > _MAX_XML or _DTD.search(payload, start):
        return None
    try:
        return ET.fromstring(payload[start:])  # noqa: S314 (no DTD: nothing to expand)
    except (ET.ParseError, ValueError):
        return None


def child_text(element: ET.Element | None, path: str) -> str:
    """Return the stripped text of ``element.find(path)``; ``""`` when absent."""
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a quoted reply (49/57) points to, as its XML names it."""

    created: int | None  # epoch seconds of the quoted message
    senders: frozenset[str]  # its sender's wxid and display name, as far as given
    server_id: str


@dataclass(frozen=True, slots=True)
class AppMessage:
    """What is kept of a type-49 message's XML."""

    sub_type: int | None
    title: str
    url: str
    quote: Quote | None


def read_app_message(payload: str) -> AppMessage | None:
    """Return the facts of a type-49 ``StrContent``; ``None`` when it holds no XML.

    PC WeChat keeps most app messages in the compressed ``CompressContent`` column, which
    the CSV does not have: then ``StrContent`` is empty and only the type is known.
    """
    root = parse_xml(payload)
    if root is None:
        return None
    appmsg = root if root.tag == "appmsg" else root.find("appmsg")
    if appmsg is None:
        return None
    sub_type = child_text(appmsg, "type")
    refer = appmsg.find("refermsg")
    quote = None
    if refer is not None:
        created = child_text(refer, "createtime")
        senders = {child_text(refer, key) for key in ("chatusr", "fromusr", "displayname")}
        quote = Quote(
            created=small_int(created),
            senders=frozenset(senders - {""}),
            server_id=child_text(refer, "svrid")[:32],
        )
    return AppMessage(
        sub_type=small_int(sub_type),
        title=child_text(appmsg, "title"),
        url=child_text(appmsg, "url"),
        quote=quote,
    )


def app_attrs(kind: str, app: AppMessage | None) -> dict[str, Any]:
    """Return the title (and a link's address) of an app message worth keeping."""
    if app is None or kind not in _TITLED:
        return {}
    attrs: dict[str, Any] = {}
    if app.title:
        attrs["file_name" if kind == "file" else "title"] = app.title[:_MAX_TITLE]
    if kind == "link" and app.url.startswith(("http://", "https://")):
        attrs["url"] = app.url[:_MAX_URL]
    return attrs

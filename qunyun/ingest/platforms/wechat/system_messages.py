"""WeChat's system notices (types 10000 and 10002) read into joins, leaves and events.

Type 10000 is a Chinese sentence shown in grey in the chat, with people named by display
name in ASCII quotes (``"张三"邀请"李四、王五"加入了群聊``); the exporting user is "你".
Revokes may be wrapped in ``<revokemsg>`` or ``<![CDATA[ … <a href="weixin://
revoke_edit_click">重新编辑</a>]]>``. Type 10002 (and some 10000 rows) hold a ``<sysmsg>``
document instead: a template whose ``$names$`` placeholders are filled from member
lists that also give each person's wxid, a revoke, or a pat.

WeChat tells the group when people are invited, scan a QR code or are removed (removals
only to the remover and the removed), never when someone leaves by themself: leaves are
therefore only ever removals here, and no leave is invented.

Everything here is pure text handling; :mod:`.parser` turns a :class:`Notice` into
records.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 (only via content.parse_xml)
from dataclasses import dataclass, field, replace
from typing import Any

from qunyun.ingest.platforms.wechat.content import child_text, parse_xml

_MAX_NOTICE = 500


@dataclass(frozen=True, slots=True)
class Named:
    """A person as a notice names them: a display name, their wxid when known, or "你"."""

    name: str = ""
    wxid: str = ""
    is_self: bool = False

    def label(self) -> str:
        """How attrs refer to them: the display name, or "self" for the exporting user."""
        return "self" if self.is_self else self.name


SELF = Named(is_self=True)


@dataclass(slots=True)
class Notice:
    """What a system message says happened.

    ``action`` is ``"join"`` or ``"leave"`` (one record per subject) or the action of a
    service event: ``"revoke"``, ``"pat"``, ``"rename"``, ``"friend_added"``,
    ``"system"``. ``actor`` is who did it when the notice says so.
    """

    action: str
    subjects: tuple[Named, ...] = ()
    actor: Named | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


# Names are matched with character classes, never ``.+?`` runs, so that matching stays
# linear on hostile text; a name containing a quote mark is left unread (a "system" notice).
_NAME = r'["“”][^"“”]+["“”]'
_NAMES = rf"{_NAME}(?:、{_NAME})*"


def _who(group: str) -> str:
    """A person in a notice: a quoted display name, or "你" (the exporting user)."""
    return rf'(?:["“”](?P<{group}>[^"“”]+)["“”]|(?P<{group}_self>你))'


_INVITE = re.compile(rf"^{_who('actor')}\s*邀请(?P<names>你(?:和{_NAMES})?|{_NAMES})\s*加入了?群聊")
_QR_CODE = re.compile(
    rf"^{_who('actor')}\s*通过扫描(?:{_who('sharer')}\s*分享的)?二维码加入了?群聊"
)
_INVITE_QR_CODE = re.compile(rf"^{_who('actor')}\s*通过{_who('sharer')}\s*的邀请二维码加入了?群聊")
_JOINED = re.compile(rf"^(?P<names>{_NAMES})\s*加入了群聊")
_REMOVED = re.compile(rf"^{_who('actor')}\s*将(?P<names>{_NAMES})\s*移出了?群聊")
_REMOVED_SELF = re.compile(rf"^你被{_who('actor')}\s*移出了?群聊")
_REVOKE = re.compile(rf"^{_who('actor')}\s*撤回了一条消息")
_PAT = re.compile(rf"^(?:{_who('actor')}|(?P<me>我))\s*拍了拍")
_RENAME = re.compile(rf'^{_who("actor")}\s*修改群名为[“"](?P<title>.*)[”"]$', re.DOTALL)
_FRIEND_ADDED = re.compile(r"^你已添加了[^，]+，现在可以开始聊天了")
_QUOTED = re.compile(r'["“”]([^"“”]+)["“”]')
# Real notices are short; longer text is not parsed (and is kept truncated).
_MAX_READ = 20_000
# WeChat's own markup in notices; anything else that looks like a tag is someone's text
# (a group name, a nickname) and is kept.
_BUTTON = re.compile(r'<a href="weixin://[^"]*"[^<>]*>[^<]*</a>')
_MARKUP = re.compile(r"</?(?:revokemsg|_wc_custom_link_)\b[^<>]*>")


def read_notice(content: str) -> Notice:
    """Return what the ``StrContent`` of a system message (10000 or 10002) says."""
    stripped = content.strip()
    if stripped.startswith(("<sysmsg", "<?xml")):
        root = parse_xml(stripped)
        if root is not None and root.tag == "sysmsg":
            return _sysmsg(root)
    return read_text(flatten(content))


def flatten(content: str) -> str:
    """Return the sentence of a notice without CDATA markers and WeChat's markup.

    ``weixin://`` links are buttons such as 重新编辑 or 撤销, not part of the sentence,
    and are dropped with their label; ``<revokemsg>`` and custom-link tags are dropped
    and their text kept.
    """
    text = content.replace("<![CDATA[", "").replace("]]>", "")
    text = _BUTTON.sub("", text)
    return _MARKUP.sub("", text).strip()


def read_text(text: str) -> Notice:
    """Return what the flattened Chinese notice ``text`` says."""
    if len(text) > _MAX_READ:
        return Notice("system", attrs={"notice": text[:_MAX_NOTICE]})
    if match := _INVITE.match(text):
        inviter = _person(match, "actor")
        return Notice(
            "join",
            _people(match["names"]),
            inviter,
            {"via": "invite", "invited_by": inviter.label()},
        )
    for pattern in (_QR_CODE, _INVITE_QR_CODE):
        if match := pattern.match(text):
            attrs: dict[str, Any] = {"via": "qr_code"}
            if match["sharer"] or match["sharer_self"]:
                attrs["shared_by"] = _person(match, "sharer").label()
            return Notice("join", (_person(match, "actor"),), None, attrs)
    if match := _JOINED.match(text):
        return Notice("join", _people(match["names"]), None, {"via": "other"})
    if match := _REMOVED_SELF.match(text):
        remover = _person(match, "actor")
        return Notice("leave", (SELF,), remover, {"removed": True, "removed_by": remover.label()})
    if match := _REMOVED.match(text):
        remover = _person(match, "actor")
        return Notice(
            "leave",
            _people(match["names"]),
            remover,
            {"removed": True, "removed_by": remover.label()},
        )
    if match := _REVOKE.match(text):
        return Notice("revoke", actor=_person(match, "actor"))
    if match := _PAT.match(text):
        return Notice("pat", actor=SELF if match["me"] else _person(match, "actor"))
    if match := _RENAME.match(text):
        return Notice("rename", actor=_person(match, "actor"), attrs={"title": match["title"]})
    if _FRIEND_ADDED.match(text):
        return Notice("friend_added")
    return Notice("system", attrs={"notice": text[:_MAX_NOTICE]} if text else {})


def _person(match: re.Match[str], group: str) -> Named:
    if match[f"{group}_self"]:
        return SELF
    return Named(name=(match[group] or "").strip())


def _people(names: str) -> tuple[Named, ...]:
    """Return the people of ``"李四、王五"``, ``你和"Y"`` or ``"A"、"B"``.

    Several names are joined by "、" inside one pair of quotes; a name that itself
    contains "、" cannot be told apart from two names.
    """
    people: list[Named] = []
    rest = names.strip()
    if rest.startswith("你"):
        people.append(SELF)
        rest = rest[1:].lstrip("和").strip()
    for quoted in _QUOTED.findall(rest) if rest else ():
        people.extend(Named(name=n.strip()) for n in quoted.split("、") if n.strip())
    return tuple(people)


def _sysmsg(root: ET.Element) -> Notice:
    kind = root.get("type", "")
    if kind == "revokemsg":
        notice = read_text(flatten(child_text(root, "revokemsg/replacemsg")))
        if notice.action == "revoke":
            return notice
        return Notice("revoke", attrs=notice.attrs)
    if kind == "pat":
        patter = child_text(root, "pat/fromusername")
        return Notice("pat", actor=Named(wxid=patter) if patter else None)
    if kind == "sysmsgtemplate":
        return _template(root)
    return Notice("system", attrs={"sysmsg_type": kind[:64]} if kind else {})


def _template(root: ET.Element) -> Notice:
    """Fill the ``$name$`` placeholders of a template notice and read the sentence.

    The member lists give each named person's wxid, which the joins then carry.
    """
    text = child_text(root, "sysmsgtemplate/content_template/template")
    wxids: dict[str, str] = {}
    for link in root.iterfind("sysmsgtemplate/content_template/link_list/link"):
        name = link.get("name", "")
        members = [
            (child_text(member, "nickname"), child_text(member, "username"))
            for member in link.iterfind("memberlist/member")
        ]
        for nickname, username in members:
            if nickname and username:
                # A name given twice with different wxids cannot tell who is who.
                wxids[nickname] = username if wxids.get(nickname, username) == username else ""
        separator = child_text(link, "separator") or "、"
        filled = separator.join(nickname for nickname, _ in members if nickname)
        if not members:
            filled = child_text(link, "plain")  # a button such as 撤销 has none
        text = text.replace(f"${name}$", filled)
    notice = read_text(flatten(text))
    notice.subjects = tuple(_with_wxid(person, wxids) for person in notice.subjects)
    if notice.actor is not None:
        notice.actor = _with_wxid(notice.actor, wxids)
    return notice


def _with_wxid(person: Named, wxids: dict[str, str]) -> Named:
    if person.is_self or person.wxid or not wxids.get(person.name):
        return person
    return replace(person, wxid=wxids[person.name])

"""WhatsApp system lines ("Alice added Bob", "X 已退出") → what happened, to whom.

System lines carry no "Name:" part on Android; iOS attributes them to the group's name
and starts their text with U+200E (some exports credit the encryption banner to the
chat's name without the mark). The texts follow the phone's language; English and
Simplified Chinese are recognised (the table below), the encryption notice in some thirty
languages, and anything else is kept as a ``service`` event with its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qunyun.ingest.platforms.whatsapp.dates import MARKS
from qunyun.ingest.records import ActivityKind

_A = r"(?P<actor>.+?)"
#: A title in the quotes of any locale: "…", “…”, «…», „…“, 「…」, 『…』.
_QUOTED = '["“«„「『](?P<title>.*)["”»“」』]'

#: The end-to-end encryption notice, in the languages WhatsApp writes it ("Messages and
#: calls are end-to-end encrypted …", "Messages to this group are now secured with
#: end-to-end encryption …"): the phrase for "end to end" of each translation.
_E2E = re.compile(
    "|".join(
        (
            r"end-to-end",  # en, it, nl, pl, id and others keep the English term
            r"端到端加密",  # zh-Hans
            r"端對端加密",  # zh-Hant
            r"點對點加密",  # zh-HK
            r"de extremo a extremo",  # es
            r"de ponta a ponta",  # pt
            r"de ponta-a-ponta",  # pt (older)
            r"de bout en bout",  # fr
            r"ende-zu-ende",  # de
            r"hujung ke hujung",  # ms
            r"uçtan uca",  # tr
            r"сквозн\w* шифрован",  # ru
            r"наскрізн\w* шифруван",  # uk
            r"бүтэн шифрлэлт",  # mn
            r"بين الطرفين",  # ar
            r"سرتاسری",  # fa
            r"اینڈ ٹو اینڈ",  # ur
            r"מקצה לקצה",  # he
            r"एंड-टू-एंड",  # hi, mr
            r"এন্ড-টু-এন্ড",  # bn
            r"エンドツーエンド",  # ja
            r"종단간 암호화|엔드투엔드",  # ko
            r"mã hóa đầu cuối",  # vi
            r"ต้นทางถึงปลายทาง",  # th
            r"totalsträckskrypter",  # sv
            r"ende-til-ende",  # da, nb
            r"päästä päähän",  # fi
            r"végpontok közötti",  # hu
            r"end-to-end-kryptert",  # nb
            r"από άκρο σε άκρο",  # el
            r"mwanzo hadi mwisho",  # sw
        )
    ),
    re.IGNORECASE,
)
#: The brand, as translations write it: a "Name: …" line is the notice only if it
#: also names WhatsApp ("not even WhatsApp can read them"), so that a member writing
#: about encryption is still a member writing.
_BRAND = re.compile(r"whatsapp|واتساب|וואטסאפ|व्हाट्सएप|ワッツアップ|왓츠앱", re.IGNORECASE)
_LIST = re.compile(r"\s*[,，、]\s*|\s+and\s+|\s*和\s+|\s+和\s*")


@dataclass(frozen=True, slots=True)
class _Rule:
    """A system text: ``actor`` did it; ``targets`` (if any) are whom a JOIN/LEAVE is about."""

    pattern: re.Pattern[str]
    kind: ActivityKind
    action: str
    attrs: dict[str, Any] = field(default_factory=dict)


def _rule(pattern: str, kind: ActivityKind, action: str, **attrs: Any) -> _Rule:
    return _Rule(
        re.compile(pattern.replace("{A}", _A).replace("{Q}", _QUOTED)), kind, action, attrs
    )


_SERVICE, _JOIN, _LEAVE = ActivityKind.SERVICE, ActivityKind.JOIN, ActivityKind.LEAVE
#: Checked in order: specific texts before the broad "added"/"removed"/"left".
_RULES = (
    _rule(r"^{A} created group {Q}$", _SERVICE, "group_created"),
    _rule(r"^{A} created this group$", _SERVICE, "group_created"),
    _rule(r"^{A} ?创建了群组 ?{Q}$", _SERVICE, "group_created"),
    _rule(
        r"^{A} changed the (?:subject|group name) (?:from .+ )?to {Q}$", _SERVICE, "subject_changed"
    ),
    _rule(
        r"^{A} ?已?(?:将|把)(?:群组)?(?:主题|名称|群名|群组名称)"
        r"(?:从 ?.+? ?)?(?:更改|修改|改)为 ?{Q}$",
        _SERVICE,
        "subject_changed",
    ),
    _rule(
        r"^{A} (?:changed|deleted) (?:this group's|the group) (?:icon|photo)$",
        _SERVICE,
        "icon_changed",
    ),
    _rule(r"^{A} ?已?(?:更改|删除)了(?:此)?群组(?:的)?(?:图标|头像)$", _SERVICE, "icon_changed"),
    _rule(r"^{A} (?:changed|deleted) the group description$", _SERVICE, "description_changed"),
    _rule(
        r"^{A} ?已?(?:更改|删除)了(?:此)?群组(?:的)?(?:说明|描述|简介)$",
        _SERVICE,
        "description_changed",
    ),
    _rule(r"^Your security code with {A} changed", _SERVICE, "security_code_changed"),
    _rule(r"^{A}(?:'s|’s) security code changed", _SERVICE, "security_code_changed"),
    _rule(r"^你与 ?{A} ?的安全码已更改", _SERVICE, "security_code_changed"),
    _rule(r"^{A} ?的安全码已更改", _SERVICE, "security_code_changed"),
    _rule(r"^{A} changed (?:their phone number|to [+\d])", _SERVICE, "number_changed"),
    _rule(r"^{A} ?已?(?:更换|更改)了?(?:电话)?号码", _SERVICE, "number_changed"),
    _rule(
        r"^{A} (?:changed|updated) (?:this group's|the group's) settings",
        _SERVICE,
        "settings_changed",
    ),
    _rule(r"^{A} pinned a message$", _SERVICE, "message_pinned"),
    _rule(r"^{A} ?已?置顶了(?:一条)?消息$", _SERVICE, "message_pinned"),
    _rule(r"^(?P<actor>You)(?:'re| are) now an admin$", _SERVICE, "admin_granted"),
    _rule(
        r"^{A} joined using (?:this|a) group(?:'s|’s)? (?:invite )?link$",
        _JOIN,
        "joined",
        via="invite_link",
    ),
    _rule(
        r"^{A} ?通过此群组的邀请链接加入(?:了)?(?:此群组|群组)?$",
        _JOIN,
        "joined",
        via="invite_link",
    ),
    _rule(r"^{A} joined from the community$", _JOIN, "joined", via="community"),
    _rule(r"^{A} joined$", _JOIN, "joined"),
    _rule(r"^{A} ?已?加入了?(?:此群组|群组)?$", _JOIN, "joined"),
    _rule(r"^{A} added (?P<targets>.+)$", _JOIN, "added"),
    _rule(r"^{A} ?已?添加了? ?(?P<targets>.+)$", _JOIN, "added"),
    _rule(r"^{A} removed (?P<targets>.+)$", _LEAVE, "removed"),
    _rule(r"^{A} ?已?(?:移除|移出)了? ?(?P<targets>.+)$", _LEAVE, "removed"),
    _rule(r"^{A} left$", _LEAVE, "left"),
    _rule(r"^{A} ?已?退出了?(?:此群组|群组)?$", _LEAVE, "left"),
)
#: Actions whose text may hold a phone number and is therefore not kept.
PRIVATE_TEXT = frozenset({"number_changed"})
#: Actions that only happen in groups (a 1:1 chat has none).
GROUP_ACTIONS = frozenset(
    {"group_created", "subject_changed", "joined", "added", "removed", "left"}
)


@dataclass(slots=True)
class SystemEvent:
    """What a system line says: ``actor`` and ``targets`` are names as shown."""

    kind: ActivityKind
    action: str
    actor: str | None = None
    targets: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


def is_encryption_notice(text: str, *, attributed: bool = False) -> bool:
    """Whether ``text`` is WhatsApp's end-to-end encryption notice, in any language.

    ``attributed``: the text came after a "Name: " (an export that credits the banner to
    the chat's name, with or without the U+200E mark); it must then name WhatsApp too.
    """
    line = text.split("\n", 1)[0]
    if attributed and (len(line) > 400 or not _BRAND.search(line)):
        return False  # (the cheap tests first: this runs on every message)
    return bool(_E2E.search(line))


def read_system(text: str) -> SystemEvent:
    """Return what the system line ``text`` says; an unknown line is a plain SERVICE."""
    line = text.split("\n", 1)[0].strip(MARKS + " ").rstrip(".。")
    if is_encryption_notice(line):
        return SystemEvent(ActivityKind.SERVICE, "encryption_notice")
    for rule in _RULES:
        found = rule.pattern.match(line)
        if found is None:
            continue
        actor = found["actor"].strip(MARKS + " ")
        groups = found.groupdict()
        targets = _LIST.split(groups["targets"].strip()) if groups.get("targets") else []
        if not actor or not all(targets):
            continue
        extras = dict(rule.attrs)
        if groups.get("title") is not None:
            extras["title"] = groups["title"]
        return SystemEvent(rule.kind, rule.action, actor, targets, extras)
    return SystemEvent(ActivityKind.SERVICE, "system")


def titled_event(text: str) -> SystemEvent | None:
    """Return the event of a line whose quoted title holds ": " (not a "Name: text").

    ``Bob created group "Q&A: 群运"`` has no sender even though it contains ": ".
    """
    event = read_system(text)
    if "title" in event.attrs and event.actor and ":" not in event.actor:
        return event
    return None

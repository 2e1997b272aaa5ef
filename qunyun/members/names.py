"""Name keys that make 张伟, zhangwei88, Wei Zhang and 伟哥 meet.

Merge suggestions compare *keys* derived from display names and handles instead of raw
strings, because the same person writes their name differently on each platform: in
Chinese characters on WeChat, as a pinyin handle on Telegram, given name first on Slack,
as a nickname (伟哥, 小伟, 阿伟) among friends. String similarity misses all of these.

- a **full-name key** is the name in lower-case Latin letters without spaces, digits or
  punctuation, in both orders: 张伟 → {zhangwei, weizhang}; "Wei Zhang" → {weizhang,
  zhangwei}; zhangwei88 → {zhangwei}; chenjing.dev → {chenjingdev, chenjing}. Equal
  full-name keys are good evidence.
- a **given-name key** is the given name of a Chinese name, or the core of a nickname
  built with the usual affixes (X哥, X姐, 小X, 老X, 阿X, XX): 张伟 → 伟, 伟哥 → 伟. Equal
  given-name keys are weak evidence (many people share a given name).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[a-z]+")
NICKNAME_PREFIXES = ("小", "老", "阿")
NICKNAME_SUFFIXES = ("哥", "姐", "弟", "妹", "儿", "子", "总", "老师")
#: Two-character surnames that the one-character split would cut wrongly.
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙", "司徒", "夏侯"}
)
#: Full-name keys this short are too common to mean anything ("li", "wang").
MIN_KEY_LENGTH = 4
#: A word of a handle this long is taken as a name key on its own.
HANDLE_WORD_LENGTH = 6


def _normalise(name: str) -> str:
    return unicodedata.normalize("NFKC", name).lower()


@lru_cache(maxsize=65536)
def full_name_keys(name: str) -> frozenset[str]:
    """Latin keys of the whole name, in family-first and given-first order."""
    text = _normalise(name)
    han = "".join(HAN.findall(text))
    keys: set[str] = set()
    if len(han) >= 2:
        surname, given = split_chinese_name(han)
        family = "".join(lazy_pinyin(surname, style=Style.NORMAL))
        first = "".join(lazy_pinyin(given, style=Style.NORMAL))
        keys |= {family + first, first + family}
    words = LATIN_WORD.findall(text)
    if words:
        keys.add("".join(words))
        if len(words) > 1:
            keys.add("".join(reversed(words)))
        if not text.split()[1:]:
            # A handle ("chenjing.dev", "wei_zhang_sh"): its long words may be the name.
            keys |= {w for w in words if len(w) >= HANDLE_WORD_LENGTH}
    return frozenset(k for k in keys if len(k) >= MIN_KEY_LENGTH)


@lru_cache(maxsize=65536)
def given_name_key(name: str) -> str:
    """The given name (or nickname core) of a Chinese name, as pinyin; "" if none."""
    han = "".join(HAN.findall(_normalise(name)))
    if not han:
        return ""
    core = han
    for suffix in NICKNAME_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core[: -len(suffix)]
            break
    else:
        if core[0] in NICKNAME_PREFIXES and len(core) == 2:
            core = core[1:]
        elif len(core) == 2 and core[0] == core[1]:
            core = core[0]
        elif len(core) >= 2:
            core = split_chinese_name(core)[1]
    return "".join(lazy_pinyin(core, style=Style.NORMAL))


def split_chinese_name(han: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese full name."""
    if len(han) >= 3 and han[:2] in COMPOUND_SURNAMES:
        return han[:2], han[2:]
    return han[:1], han[1:]

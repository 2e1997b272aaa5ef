"""Which messages are questions: a documented rule over text, vectorised in Arrow.

The snapshot computes ``is_question`` once per activity from its text (and keeps no text);
:func:`is_question` is the rule, applied to a whole Arrow array of texts at once. The
rule, its exclusions and its known limits are in ``docs/metrics.md`` ("Questions").

In order:

1. **Clean**: lower-case; drop URLs (a ``?`` in a query string asks nothing), laughter
   (哈哈, 呵呵, 嘿嘿, 233…, haha, lol, lmao), and phrases that look interrogative but
   are not (:data:`NOT_INTERROGATIVE`: 不怎么, 无论如何, 没什么, 那么, 么么哒, the
   indirect 看看是不是 "check whether", …).
2. **Too short**: what is left must hold at least two letters or digits, so "？？？" or
   "哈哈哈？" are reactions, not questions.
3. **Question when any of**: a question mark (``?`` or ``？``); 吗/呢/么 ending a
   sentence (before the end of the text or a sentence mark, spaces and ~ allowed); a
   Chinese interrogative word anywhere (:data:`ZH_WORDS`); an English interrogative word
   or auxiliary at the start of a sentence, followed by a space (:data:`EN_STARTS`;
   exclamations such as "what a …", "how cool …" and "who cares" excluded).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Chinese words that ask, wherever they stand.
ZH_WORDS = (
    "怎么",
    "怎样",
    "如何",
    "为什么",
    "为啥",
    "有没有",
    "能不能",
    "可不可以",
    "是不是",
    "会不会",
    "哪里",
    "哪儿",
    "哪个",
    "哪些",
    "多少",
    "几点",
    "请问",
    "求助",
    "求教",
    "求问",
)
#: English words that open a question at the start of a sentence.
EN_STARTS = (
    "what",
    "how",
    "why",
    "where",
    "who",
    "which",
    "when (?:is|are|will|does|do|did|can|should)",
    "can",
    "could",
    "would",
    "should",
    "does",
    "do you",
    "did",
    "is there",
    "are there",
    "is it",
    "anyone",
    "anybody",
    "any idea",
    "any ideas",
)
#: Phrases removed before matching: they contain a question word but do not ask.
NOT_INTERROGATIVE = (
    "不怎么",
    "不管怎么",
    "无论怎么",
    "无论如何",
    "或多或少",
    "多多少少",
    "没什么",
    "什么都",
    "那么",
    "这么",
    "多么",
    "要么",
    "么么哒",
    "么么",
    "看是不是",
)
_URL = r"(?:https?://|www\.)\S+"
_LAUGHTER = r"哈{2,}|呵{2,}|嘿{2,}|嘻{2,}|2333*|\b(?:ha){2,}h?\b|\blol\b|\blmao\b"
_EXCLAMATIONS = (
    r"(?:^|[.!?。！？\n]\s*)(?:what an? |who cares\b"
    r"|how (?:cool|great|nice|awesome|sweet|lovely|funny|sad|weird|strange)\b)"
)
_SENTENCE_START = r"(?:^|[.!?。！？\n]\s*)"
_END_PARTICLE = r"[吗呢么][\s~～]*(?:$|[。.!！?？,，…\n])"


#: What every question holds somewhere (lower-cased): a question mark, a particle, a
#: Chinese interrogative word or the first word of an English opener. Cleaning only
#: removes text, and puts a space or ". " where it did, so it never makes one of these
#: where the text had none: a text without any cannot be a question, and the rule runs
#: on the others alone (about a third of the messages of a chat).
_MAY_ASK = "|".join(
    ["[?？吗呢么]", *ZH_WORDS, *sorted({opener.split()[0] for opener in EN_STARTS})]
)
#: At least two letters or digits (rule 2): found by the second one, not by counting all.
_TWO_LETTERS = r"(?s)[\p{L}\p{N}].*[\p{L}\p{N}]"


def is_question(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True where the text reads as a question (rules in the module docstring)."""
    text = pc.utf8_lower(pc.fill_null(texts.cast(pa.string()), ""))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    candidates = pc.indices_nonzero(pc.match_substring_regex(text, _MAY_ASK))
    asks = asks_question(pc.take(text, candidates)).to_numpy(zero_copy_only=False)
    result = np.zeros(len(text), dtype=bool)
    result[candidates.to_numpy()[asks]] = True
    return pa.array(result, pa.bool_())


def asks_question(lowered: pa.Array) -> pa.Array:
    """The rule itself, on lower-cased texts without nulls: clean, then look."""
    text = pc.replace_substring_regex(lowered, _URL, " ")
    text = pc.replace_substring_regex(text, _LAUGHTER, " ")
    text = pc.replace_substring_regex(text, _EXCLAMATIONS, ". ")
    text = pc.replace_substring_regex(text, "|".join(NOT_INTERROGATIVE), " ")
    marks = pc.match_substring_regex(text, r"[?？]")
    particle = pc.match_substring_regex(text, _END_PARTICLE)
    zh_word = pc.match_substring_regex(text, "|".join(ZH_WORDS))
    en_start = pc.match_substring_regex(text, _SENTENCE_START + "(?:" + "|".join(EN_STARTS) + ") ")
    asks = pc.or_(pc.or_(marks, particle), pc.or_(zh_word, en_start))
    return pc.and_(asks, pc.match_substring_regex(text, _TWO_LETTERS))

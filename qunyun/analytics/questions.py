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


def is_question(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True where the text reads as a question (rules in the module docstring)."""
    text = pc.fill_null(texts.cast(pa.string()), "")
    text = pc.utf8_lower(text)
    text = pc.replace_substring_regex(text, _URL, " ")
    text = pc.replace_substring_regex(text, _LAUGHTER, " ")
    text = pc.replace_substring_regex(text, _EXCLAMATIONS, ". ")
    text = pc.replace_substring_regex(text, "|".join(NOT_INTERROGATIVE), " ")
    letters = pc.count_substring_regex(text, r"[\p{L}\p{N}]")
    marks = pc.match_substring_regex(text, r"[?？]")
    particle = pc.match_substring_regex(text, _END_PARTICLE)
    zh_word = pc.match_substring_regex(text, "|".join(ZH_WORDS))
    en_start = pc.match_substring_regex(text, _SENTENCE_START + "(?:" + "|".join(EN_STARTS) + ") ")
    asks = pc.or_(pc.or_(marks, particle), pc.or_(zh_word, en_start))
    result = pc.and_(asks, pc.greater_equal(letters, 2))
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result

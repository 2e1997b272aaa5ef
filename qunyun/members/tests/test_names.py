"""Chinese names, pinyin handles, English order and nicknames meet on the same keys.

A labelled test set of name pairs: the same person (should meet) and different people
(should not). Precision and recall are asserted, so a change that makes suggestions
useless for Chinese names fails here.
"""

from __future__ import annotations

from qunyun.members.names import full_name_keys, given_name_key

SAME_PERSON = [
    ("张伟", "zhangwei"),
    ("张伟", "zhangwei88"),
    ("张伟", "Wei Zhang"),
    ("张伟", "ZHANG Wei"),
    ("张伟", "Zhang_Wei"),
    ("李娜", "Na Li"),
    ("李娜", "lina_1990"),
    ("王芳", "wangfang"),
    ("刘洋", "Yang Liu"),
    ("陈静", "chenjing.dev"),
    ("欧阳娜娜", "Nana Ouyang"),
    ("欧阳娜娜", "ouyangnana"),
    ("诸葛亮", "zhuge liang"),
    ("黄晓明", "Xiaoming Huang"),
    ("杨幂", "Mi Yang"),
    ("Ｚｈａｎｇ Ｗｅｉ", "zhangwei"),  # full-width letters
]
NICKNAMES = [
    ("伟哥", "张伟"),
    ("小伟", "王伟"),
    ("阿杰", "胡杰"),
    ("娜娜", "李娜"),
    ("晓明老师", "黄晓明"),
]
DIFFERENT_PEOPLE = [
    ("张伟", "张薇薇"),
    ("张伟", "zhangwen"),
    ("李娜", "李楠"),
    ("王芳", "wangfei"),
    ("David Smith", "Daniel Smith"),
    ("刘洋", "Yang Li"),
    ("陈静", "chenjun"),
    ("Iris Chen", "Chen Jing"),
]


def meet(a: str, b: str) -> bool:
    return bool(full_name_keys(a) & full_name_keys(b))


def test_the_same_person_meets_across_scripts_orders_and_handles() -> None:
    missed = [pair for pair in SAME_PERSON if not meet(*pair)]

    assert missed == []


def test_nicknames_meet_on_the_given_name() -> None:
    missed = [(a, b) for a, b in NICKNAMES if given_name_key(a) != given_name_key(b)]

    assert missed == []


def test_different_people_do_not_meet() -> None:
    false_matches = [pair for pair in DIFFERENT_PEOPLE if meet(*pair)]

    assert false_matches == []


def test_precision_and_recall_on_the_whole_set() -> None:
    true_positive = sum(meet(a, b) for a, b in SAME_PERSON)
    false_positive = sum(meet(a, b) for a, b in DIFFERENT_PEOPLE)

    recall = true_positive / len(SAME_PERSON)
    precision = true_positive / (true_positive + false_positive)

    assert recall == 1.0
    assert precision == 1.0


def test_names_without_letters_give_no_keys() -> None:
    assert full_name_keys("🐟🐟") == frozenset()
    assert full_name_keys("+86 138 0013 8000") == frozenset()
    assert given_name_key("Nina") == ""


def test_name_and_nickname_count_once_and_independent_evidence_adds_up() -> None:
    from qunyun.members.suggestions import _Candidate

    name_only = _Candidate({"name": "x"})
    name_and_nickname = _Candidate({"name": "x", "nickname": "y"})
    with_avatar = _Candidate({"name": "x", "avatar": "z"})
    with_days = _Candidate({"nickname": "y", "co_activity": "5/6"})

    assert name_only.score == 0.8
    assert name_and_nickname.score == 0.8
    assert with_avatar.score == 0.98
    assert round(with_days.score, 3) == 0.505

"""The person cache QQ and WhatsApp share: one PersonRef per person, bounded in size."""

from __future__ import annotations

from qunyun.ingest.platforms.people import PersonCache
from qunyun.ingest.records import PersonRef


def test_a_person_met_again_is_the_same_object() -> None:
    made: list[str] = []

    def make(name: str) -> PersonRef:
        made.append(name)
        return PersonRef(f"name:{name}", name)

    people = PersonCache(make)
    first = people.get("Ada")
    assert people.get("Ada") is first
    assert people.get("Lin") is not first
    assert made == ["Ada", "Lin"]


def test_the_cache_starts_over_when_it_outgrows_its_limit() -> None:
    made: list[str] = []

    def make(name: str) -> PersonRef:
        made.append(name)
        return PersonRef(f"name:{name}", name)

    people = PersonCache(make, limit=2)
    for name in ("a", "b", "c", "d", "a"):
        people.get(name)
    # a, b, c fill it past the limit; d empties it first, so a is made again.
    assert made == ["a", "b", "c", "d", "a"]
    assert people.get("d") is people.get("d")

"""Parsing in a second process: same records, same errors, no hang when it dies."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.read_ahead import BATCH, read_ahead


def numbers(n: int) -> Iterator[tuple]:
    for i in range(n):
        yield ("a", i, os.getpid())


def test_items_arrive_in_order_from_another_process() -> None:
    items = list(read_ahead(numbers(3 * BATCH + 7)))

    assert [i[1] for i in items] == list(range(3 * BATCH + 7))
    assert {i[2] for i in items} != {os.getpid()}  # produced by the child


def test_a_format_error_in_the_parser_keeps_its_place() -> None:
    def broken() -> Iterator[tuple]:
        yield ("a", 1)
        raise ImportFormatError("bad “date”", path="x.json", line=7, field="date")

    with pytest.raises(ImportFormatError) as caught:
        list(read_ahead(broken()))

    assert (caught.value.path, caught.value.line, caught.value.field) == ("x.json", 7, "date")
    assert "line 7" in str(caught.value)


def test_another_exception_reaches_the_caller_as_itself() -> None:
    def broken() -> Iterator[tuple]:
        yield ("a", 1)
        raise KeyError("oops")

    with pytest.raises(KeyError, match="oops"):
        list(read_ahead(broken()))


def test_an_exception_that_cannot_travel_arrives_as_its_traceback() -> None:
    class Local(Exception):  # defined here: cannot be pickled
        pass

    def broken() -> Iterator[tuple]:
        yield ("a", 1)
        raise Local("bad")

    with pytest.raises(RuntimeError, match="Local"):
        list(read_ahead(broken()))


def test_a_parser_process_that_dies_is_noticed() -> None:
    def dies() -> Iterator[tuple]:
        yield ("a", 1)
        os.kill(os.getpid(), signal.SIGKILL)
        yield ("a", 2)

    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        list(read_ahead(dies()))


def test_it_can_be_switched_off(settings) -> None:
    settings.IMPORT_PARSE_AHEAD = False  # QUNYUN_PARSE_AHEAD=0

    items = list(read_ahead(numbers(10)))

    assert {i[2] for i in items} == {os.getpid()}

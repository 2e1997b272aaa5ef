"""Parse in a second process while this one writes: the two cores overlap.

Parsing (JSON, CSV, text) and writing (SQLite or PostgreSQL) each keep one core busy;
run one after the other they add up. :func:`read_ahead` forks a child that iterates the
records and sends them in batches through a bounded queue (back-pressure keeps memory
flat), as plain tuples that pickle cheaply (:func:`compact`). The parent writes them.

A malformed file raises :class:`ImportFormatError` in the child; it crosses the queue and
is raised again here with its place, so the pipeline rolls back exactly as it would with
an in-process parser. If the child dies (killed, out of memory), the parent says so
instead of waiting for ever. Where ``fork`` is unavailable, or with
``QUNYUN_PARSE_AHEAD=0``, records are parsed in this process.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.identity import name_only_external_id, person_tuple
from qunyun.ingest.records import ActivityRecord, ChannelRecord

BATCH = 5000
QUEUE_BATCHES = 8
POLL_SECONDS = 1.0

#: Whatever the parser side yields: records, or the batches of :func:`compact`.
Item = Any

#: What the writer needs of one batch of records, built where they are parsed:
#: ``(channels, people, rows)``. ``channels`` lists channels as ``(number, source,
#: external_id, name, kind)``; ``people`` lists the people met for the first time as
#: ``(number, source, identity external id, person)``, person as
#: :func:`~qunyun.ingest.identity.person_tuple` gives it; each row is ``(channel number,
#: external_id, person number, kind, occurred_at, text, reply_to, thread, attrs_json)``
#: with ``occurred_at`` in the database's parameter form. A person's details cross the
#: queue once per import, not with each of their messages.
Batch = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def compact(
    records: Iterable[ChannelRecord | ActivityRecord], adapt: Callable[[datetime], Any]
) -> Iterator[Batch]:
    """Records as batches of the rows the writer consumes (validation of lengths included)."""
    dumps = orjson.dumps
    channel_numbers: dict[tuple[str, str], int] = {}
    person_numbers: dict[tuple[str, str], int] = {}
    channels: list[tuple[Any, ...]] = []
    people: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    last_ref: Any = None
    last_person = last_channel = -1
    last_key: tuple[str, str] | None = None
    for record in records:
        if type(record) is ChannelRecord:
            key = (record.source, record.external_id)
            number = channel_numbers.get(key)
            if number is None:
                number = channel_numbers[key] = len(channel_numbers)
            # Sent again when met again: a later record may name a channel first seen
            # only as the place of an activity.
            channels.append(
                (number, record.source, record.external_id, record.name[:255], record.kind[:64])
            )
            continue
        source = record.source
        key = (source, record.channel)  # type: ignore[union-attr]
        a = record.author  # type: ignore[union-attr]
        if key != last_key:
            number = channel_numbers.get(key)
            if number is None:
                number = channel_numbers[key] = len(channel_numbers)
                channels.append((number, source, key[1], "", ""))
            last_channel = number
            last_ref = None  # a name-only person is known per channel
        last_key = key
        if a is not last_ref:  # parsers hand out one PersonRef per person and chat
            external_id = a.external_id
            if external_id:
                person_key = (source, external_id[:255])
            else:
                person_key = (source, name_only_external_id(key[1], a.display_name))
            number = person_numbers.get(person_key)
            if number is None:
                number = person_numbers[person_key] = len(person_numbers)
                people.append((number, source, person_key[1], person_tuple(a)))
            last_ref, last_person = a, number
        text = record.text  # type: ignore[union-attr]
        if "\x00" in text:  # PostgreSQL rejects NUL in text; exports occasionally carry one
            text = text.replace("\x00", "")
        attrs = record.attrs  # type: ignore[union-attr]
        rows.append(
            (
                last_channel,
                record.external_id[:255],
                last_person,
                str(record.kind),  # type: ignore[union-attr]
                adapt(record.occurred_at),  # type: ignore[union-attr]
                text,
                (record.reply_to or "")[:255],  # type: ignore[union-attr]
                (record.thread or "")[:255],  # type: ignore[union-attr]
                dumps(attrs).decode() if attrs else "{}",
            )
        )
        if len(rows) >= BATCH:
            yield channels, people, rows
            channels, people, rows = [], [], []
    if channels or people or rows:
        yield channels, people, rows


#: Parser processes now running for this process (progress bars read their position).
RUNNING_PARSERS: set[int] = set()


def read_ahead(items: Iterator[Item], batch: int = BATCH) -> Iterator[Item]:
    """``items``, produced by a forked child process when possible.

    The child sends them ``batch`` at a time (1 when each item is a batch already).
    """
    if os.environ.get("QUNYUN_PARSE_AHEAD", "1") == "0" or not _can_fork():
        yield from items
        return
    context = multiprocessing.get_context("fork")
    channel: Any = context.Queue(maxsize=QUEUE_BATCHES)
    child = context.Process(target=_produce, args=(items, channel, batch), daemon=True)
    child.start()
    RUNNING_PARSERS.add(child.pid or 0)
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the parser process ended unexpectedly (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "batch":
                yield from payload
            elif kind == "done":
                return
            elif kind == "format_error":
                raise ImportFormatError(**payload)
            elif kind == "exception":
                raise payload  # e.g. the forum refused the key: the caller knows that one
            else:
                raise RuntimeError(f"the parser failed:\n{payload}")
    finally:
        RUNNING_PARSERS.discard(child.pid or 0)
        if child.is_alive():
            child.terminate()
        child.join(timeout=10)
        channel.close()


def _die_with_parent() -> None:
    """A parser whose importer was killed must not linger blocked on a full queue."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _produce(items: Iterator[Item], channel: Any, size: int) -> None:
    _die_with_parent()
    # Millions of fresh tuples make the cyclic collector rescan the heap again and again.
    gc.freeze()
    gc.disable()
    try:
        batch: list[Item] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                channel.put(("batch", batch))
                batch = []
        if batch:
            channel.put(("batch", batch))
        channel.put(("done", None))
    except ImportFormatError as error:
        channel.put(
            (
                "format_error",
                {
                    "problem": error.problem,
                    "path": error.path,
                    "line": error.line,
                    "offset": error.offset,
                    "record": error.record,
                    "field": error.field,
                },
            )
        )
    except Exception as error:
        try:
            pickle.dumps(error)
            channel.put(("exception", error))
        except Exception:  # noqa: BLE001 — an exception that cannot travel becomes text
            channel.put(("error", traceback.format_exc()))
    except BaseException:  # noqa: BLE001 — everything must reach the parent
        channel.put(("error", traceback.format_exc()))
    finally:
        channel.close()
        channel.join_thread()


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()

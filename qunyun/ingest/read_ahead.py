"""Parse in a second process while this one writes: the two cores overlap.

Parsing (JSON, CSV, text) and writing (SQLite or PostgreSQL) each keep one core busy;
run one after the other they add up. :func:`read_ahead` forks a child that iterates the
records and sends them in batches through a bounded queue (back-pressure keeps memory
flat), as plain tuples (:func:`.rows.compact`) serialised with :mod:`marshal`, the
cheapest way for such data. The parent writes them.

A malformed file raises :class:`ImportFormatError` in the child; it crosses the queue and
is raised again here with its place, so the pipeline rolls back exactly as it would with
an in-process parser. If the child dies (killed, out of memory), the parent says so
instead of waiting for ever. Where ``fork`` is unavailable, or with
``QUNYUN_PARSE_AHEAD=0``, records are parsed in this process.
"""

from __future__ import annotations

import ctypes
import gc
import marshal
import multiprocessing
import pickle
import queue
import signal
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.rows import BATCH

QUEUE_BATCHES = 8
POLL_SECONDS = 1.0

#: Whatever the parser side yields: records, or the batches of :func:`.rows.compact`.
Item = Any


#: Parser processes now running for this process (progress bars read their position).
RUNNING_PARSERS: set[int] = set()


def read_ahead(items: Iterator[Item], batch: int = BATCH) -> Iterator[Item]:
    """``items``, produced by a forked child process when possible.

    The child sends them ``batch`` at a time (1 when each item is a batch already).
    """
    if not settings.IMPORT_PARSE_AHEAD or not _can_fork():
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
            if kind == "marshal":
                yield from marshal.loads(payload)  # noqa: S302 (our own child wrote it)
            elif kind == "batch":
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
                _send(channel, batch)
                batch = []
        if batch:
            _send(channel, batch)
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
                    "item": error.item,
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


def _send(channel: Any, batch: list[Item]) -> None:
    """Put ``batch`` on the queue: marshalled when it is plain data (tuples, lists,
    strings, numbers), which both ends do several times faster than pickling it."""
    try:
        channel.put(("marshal", marshal.dumps(batch)))
    except ValueError:  # an object marshal does not know
        channel.put(("batch", batch))


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()

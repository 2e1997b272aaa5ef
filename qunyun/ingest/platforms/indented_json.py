"""Read the long array of an exporter's indented JSON fast, in batches, with orjson.

Chat exporters write one big array of messages, one message after another, each opening
on a new line at the same indentation: tdesktop (Telegram) writes ``"messages": [`` and
then ``  {`` per message; DiscordChatExporter the same with its own indentation. Such a
file is read here in big chunks; each chunk is cut after the last *joint* it holds —
``},`` + the newline and indentation seen before the first element + ``{`` — and the
elements before the cut are parsed by one ``orjson.loads`` of ``[`` + those bytes + ``]``.

Why a cut is never wrong without being noticed: the first batch begins exactly at the
first element, and a batch is accepted only if its bytes parse as a whole array. JSON is
read deterministically from a known state, so bytes that parse as complete,
comma-separated values, starting where an element starts, are exactly the array's next
elements, and the next batch again starts where an element starts. A joint found inside
a message (a raw newline cannot occur inside a JSON string, so only a nested value laid
out at the same indentation could give one) leaves unbalanced brackets and fails to
parse. A batch orjson refuses is parsed again element by element, each element handed to
the caller's ``slow`` parser when orjson refuses it (tdesktop's ``\\x01`` escapes, lone
surrogates). Anything else — no newline after ``[`` (minified JSON), an element that does
not parse, an unexpected end, a broken file — raises :class:`NotThisLayout` (after the
elements before it); the caller then reads the file with its streaming parser from the
start, skipping the elements already delivered, and that parser locates any fault
byte-exactly.

One difference from yajl (ijson) is kept on purpose: orjson reads integers beyond 64 bits
(as ``int`` up to 2**64 - 1, as ``float`` beyond), where yajl refuses the whole file.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from qunyun.ingest.platforms.json_export import WHITESPACE

#: Bytes read at a time; a batch holds about this much JSON.
CHUNK = 1 << 22
#: The first read, in which the preamble and the array's first element usually are.
HEAD = 1 << 16
#: A single element (or what follows the last one) larger than this is streamed instead.
MAX_PIECE = 1 << 26
#: How far to look for the array's key (exporters' preambles are under a kilobyte).
MAX_PREAMBLE = 1 << 20
_MAX_CANDIDATES = 16

#: Parses one element orjson refused; raises :class:`NotThisLayout` if it cannot either.
SlowParse = Callable[[bytes], Any]


class NotThisLayout(Exception):  # noqa: N818 (a signal to switch readers, not a fault)
    """The fast reader cannot go on: the caller's streaming parser takes over."""


class _Partly(NotThisLayout):
    """A batch could be read up to an element: ``values`` holds the elements before it."""

    def __init__(self, values: list[Any]) -> None:
        super().__init__()
        self.values = values


def find_array(head: bytes, start: int, key: bytes) -> tuple[dict[str, Any], int] | None:
    """Find the top-level member ``"key": [`` in ``head``, the file's first bytes.

    ``start`` is where the JSON text begins (3 after a UTF-8 byte-order mark). Returns
    the members before it (parsed) and the offset just after the ``[``, or ``None`` when
    ``head`` does not show them in the expected shape.
    """
    quoted = b'"%b"' % key
    search = start
    for _attempt in range(_MAX_CANDIDATES):
        found = head.find(quoted, search)
        if found < 0:
            return None
        search = found + 1
        before = head[start:found].rstrip(WHITESPACE)
        if before.endswith(b","):
            members = before[:-1].rstrip(WHITESPACE)
            if members.endswith((b"{", b",")):
                continue
            text = members + b"}"
        elif before.endswith(b"{"):
            text = before + b"}"
        else:
            continue  # a string value that reads like the key, not the key
        rest = head[found + len(quoted) :].lstrip(WHITESPACE)
        if rest[:1] != b":":
            continue
        rest = rest[1:].lstrip(WHITESPACE)
        if rest[:1] != b"[":
            continue
        try:
            # If the candidate sits inside a nested object, ``text`` is unbalanced.
            header = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(header, dict):
            return header, len(head) - len(rest) + 1
    return None


def read_head(handle: IO[bytes], start: int, key: bytes) -> tuple[dict[str, Any], bytes] | None:
    """Read from ``handle`` until ``"key": [`` is found; ``None`` if it is not there.

    Returns the members before the array and the bytes read after its ``[``. Reads a
    little at first, so that a file the fast reader turns down costs little memory.
    """
    head = handle.read(HEAD)
    found = find_array(head, start, key)
    while found is None and len(head) < MAX_PREAMBLE:
        more = handle.read(len(head))
        if not more:
            break
        head += more
        found = find_array(head, start, key)
    if found is None:
        return None
    header, after = found
    return header, head[after:]


def elements(
    handle: IO[bytes], rest: bytes, slow: SlowParse
) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Yield the elements of the array whose text after ``[`` begins with ``rest``.

    The rest of the array is read from ``handle``. Elements come in lists, each with the
    top-level members that follow the array (``{}`` until the last list). The file must
    end with the document: ``]``, those members, ``}``, whitespace. Raises
    :class:`NotThisLayout` when the file is not in this layout or not valid.
    """
    body = rest.lstrip(WHITESPACE)
    while not body and (more := handle.read(CHUNK)):  # the chunk ended after "["
        rest += more
        body = rest.lstrip(WHITESPACE)
    lead = rest[: len(rest) - len(body)]
    if body[:1] == b"]":
        yield [], _tail(body + _read_rest(handle))
        return
    newline = min((i for i in (lead.find(b"\r"), lead.find(b"\n")) if i >= 0), default=-1)
    if body[:1] != b"{" or newline < 0:
        raise NotThisLayout
    joint = b"}," + lead[newline:] + b"{"
    step = len(joint) - 1  # from the "}" of a joint to the "{" after it
    buffer = body  # starts with the "{" of an element
    while True:
        more = handle.read(CHUNK)
        if not more:
            break
        buffer += more
        cut = buffer.rfind(joint)
        if cut < 0:
            if len(buffer) > MAX_PIECE:
                raise NotThisLayout
            continue
        try:
            values = _batch(buffer[: cut + 1], joint, slow)
        except _Partly as stop:
            yield stop.values, {}  # the elements before the one no parser could read
            raise NotThisLayout from None
        yield values, {}
        buffer = buffer[cut + step :]
    try:
        yield _last(buffer, joint, slow)
    except _Partly as stop:
        yield stop.values, {}
        raise NotThisLayout from None


def _batch(text: bytes, joint: bytes, slow: SlowParse) -> list[Any]:
    """Parse ``text``, whole elements separated by commas, as a list."""
    collecting = gc.isenabled()
    gc.disable()  # thousands of fresh dicts would make the collector rescan the heap
    try:
        try:
            values: list[Any] = orjson.loads(b"[%b]" % text)
            return values
        except orjson.JSONDecodeError:
            pass
        # One element orjson refuses spoils the batch: parse them one at a time. The
        # joints took the first element's "}", the last one's "{" and both of the others'.
        pieces = text.split(joint)
        last = len(pieces) - 1
        values = []
        for number, piece in enumerate(pieces):
            whole = (b"{" if number else b"") + piece + (b"}" if number < last else b"")
            try:
                values.append(orjson.loads(whole))
            except orjson.JSONDecodeError:
                try:
                    values.append(slow(whole))
                except NotThisLayout:
                    raise _Partly(values) from None
        return values
    finally:
        if collecting:
            gc.enable()


def _last(buffer: bytes, joint: bytes, slow: SlowParse) -> tuple[list[Any], dict[str, Any]]:
    """Parse the last elements, then check that the document ends properly after them."""
    if len(buffer) > MAX_PIECE:
        raise NotThisLayout
    end = len(buffer)
    for _attempt in range(_MAX_CANDIDATES):
        end = buffer.rfind(b"]", 0, end)
        if end < 0:
            break
        text = buffer[:end].rstrip(WHITESPACE)
        if text[-1:] != b"}":
            continue
        try:
            trailing = _tail(buffer[end:])
        except NotThisLayout:
            continue
        # The rest of the file reads as the end of the document: this is the array's end
        # (_batch raises _Partly, never tries another candidate, if an element is bad).
        return _batch(text, joint, slow), trailing
    raise NotThisLayout


def _tail(tail: bytes) -> dict[str, Any]:
    """Return the members after ``]`` (``]``, members, ``}``, whitespace to the end)."""
    if tail[:1] != b"]":
        raise NotThisLayout
    rest = tail[1:].lstrip(WHITESPACE)
    if rest[:1] == b",":
        members = rest[1:]
        if members.lstrip(WHITESPACE)[:1] != b'"':
            raise NotThisLayout
        try:
            trailing = orjson.loads(b"{" + members)
        except orjson.JSONDecodeError:
            raise NotThisLayout from None
        if not isinstance(trailing, dict):
            raise NotThisLayout
        return trailing
    if rest.rstrip(WHITESPACE) != b"}":
        raise NotThisLayout
    return {}


def _read_rest(handle: IO[bytes]) -> bytes:
    rest = handle.read(MAX_PIECE + 1)
    if len(rest) > MAX_PIECE:
        raise NotThisLayout
    return rest

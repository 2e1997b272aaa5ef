"""Whatever is done to a saved response, the parser yields valid records or says where."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discourse.parser import parse
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord

FORUM = Path(__file__).parent / "fixtures" / "forum"
SAMPLES = [(FORUM / name).read_bytes() for name in ("posts.json", "t_57.json")]


def _drop_key(data: bytes, choice: int) -> bytes:
    document = json.loads(data)
    posts = document.get("latest_posts") or document["post_stream"]["posts"]
    post = posts[choice % len(posts)]
    keys = sorted(post)
    del post[keys[choice % len(keys)]]
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SAMPLES))
    how = draw(st.sampled_from(["truncate", "flip", "insert", "drop_key"]))
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return _drop_key(data, draw(st.integers(0, 10_000)))


def assert_valid(record: Any) -> None:
    if isinstance(record, ChannelRecord):
        assert record.source == "discourse" and record.external_id
        return
    assert isinstance(record, ActivityRecord)
    assert record.source == "discourse"
    assert record.external_id.lstrip("-").isdigit()
    assert isinstance(record.kind, ActivityKind)
    assert record.occurred_at.tzinfo is not None
    assert record.occurred_at.utcoffset() == UTC.utcoffset(None)
    assert record.author.external_id
    assert isinstance(record.text, str)
    orjson.dumps(record.attrs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_input_yields_valid_records_or_a_located_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "posts.json"
        path.write_bytes(data)
        try:
            for record in parse(path):
                assert_valid(record)
        except ImportFormatError as error:
            assert error.path == str(path)

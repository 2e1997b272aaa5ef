"""The live connector against a real HTTP server on 127.0.0.1 that answers like Discourse.

Nothing of the client is patched: the server (``forum_server.py``) serves API-shaped
JSON, checks the key, and fails on request; only ``sleep`` is injected, so that waits
are recorded instead of slept.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import translation

from qunyun.ingest.errors import ImportFormatError
from qunyun.ingest.platforms.discourse.client import (
    DiscourseClient,
    DiscourseSyncError,
    retry_after_seconds,
)
from qunyun.ingest.platforms.discourse.parser import parse
from qunyun.ingest.platforms.discourse.tests.forum_server import (
    API_KEY,
    FIXTURES,
    Failure,
    FakeForum,
    serve,
)
from qunyun.ingest.records import ActivityKind, ActivityRecord, ChannelRecord


@pytest.fixture(autouse=True)
def _english_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with translation.override("en"):
        yield


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(forum: FakeForum, **options: Any) -> DiscourseClient:
    options.setdefault("sleep", Sleeps())
    return DiscourseClient(forum.url, options.pop("api_key", API_KEY), **options)


def activities(records: Iterator[Any] | list[Any]) -> list[ActivityRecord]:
    return [r for r in records if isinstance(r, ActivityRecord)]


def test_every_request_carries_the_key_user_and_json_headers(forum: FakeForum) -> None:
    list(client_for(forum, api_username="qunyun_bot").records())

    headers = forum.requests[0].headers
    assert headers["api-key"] == API_KEY
    assert headers["api-username"] == "qunyun_bot"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"].startswith("Qunyun/")


def test_a_first_sync_yields_the_same_records_as_the_saved_pages_oldest_first(
    forum: FakeForum, tmp_path: Any
) -> None:
    for name in ("posts.json", "posts_before_108.json", "site.json"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())

    live = list(client_for(forum).records())

    from_files = list(parse(tmp_path))
    assert sorted(map(repr, live)) == sorted(map(repr, from_files))
    ids = [int(r.external_id) for r in activities(live)]
    assert ids == sorted(ids)  # oldest first
    assert isinstance(live[0], ChannelRecord)


def test_pages_go_backwards_with_before_until_the_oldest_post(forum: FakeForum) -> None:
    forum.page_size = 4

    found = activities(client_for(forum).records())

    assert len(found) == 11
    assert forum.paths() == [
        "/posts.json",
        "/posts.json?before=112",
        "/posts.json?before=106",
        "/posts.json?before=101",
        "/site.json",
        "/t/32.json",  # post 115 answers #5, which nobody has seen: maybe its topic has
    ]


def test_an_incremental_sync_stops_at_the_cursor_and_fetches_only_newer_posts(
    forum: FakeForum,
) -> None:
    forum.page_size = 4

    found = activities(client_for(forum).records(after_id=107))

    assert [r.external_id for r in found] == ["108", "110", "112", "115", "118", "120"]
    assert forum.paths()[:2] == ["/posts.json", "/posts.json?before=112"]
    assert "/posts.json?before=106" not in forum.paths()


def test_nothing_new_means_one_request_and_no_records(forum: FakeForum) -> None:
    assert list(client_for(forum).records(after_id=120)) == []
    assert forum.paths() == ["/posts.json"]


def test_a_reply_to_an_already_imported_post_is_resolved_through_its_topic(
    forum: FakeForum,
) -> None:
    forum.add_post(
        forum.posts[9]  # post 102, #2 of topic 31
        | {
            "id": 130,
            "post_number": 5,
            "reply_to_post_number": 2,
            "created_at": "2024-09-25T10:00:00.000Z",
            "updated_at": "2024-09-25T10:00:00.000Z",
            "raw": "同意 +1",
        }
    )

    (new,) = activities(client_for(forum).records(after_id=120))

    assert (new.external_id, new.reply_to, new.thread) == ("130", "102", "31")
    assert "/t/31.json" in forum.paths()


def test_posts_without_category_take_it_from_their_topic_once_per_run(forum: FakeForum) -> None:
    for post in forum.posts:
        post.pop("category_id")
        post.pop("topic_title")

    found = activities(client_for(forum).records())

    assert {r.external_id: r.channel for r in found}["101"] == "5"
    assert Counter(p for p in forum.paths() if p.startswith("/t/")) == {
        "/t/31.json": 1,
        "/t/32.json": 1,
        "/t/40.json": 1,
        "/t/41.json": 1,
    }
    assert {r.external_id: r for r in found}["106"].attrs["title"].startswith("如何导入")


def test_older_servers_id_windows_are_walked_across_gaps(forum: FakeForum) -> None:
    forum.windowed = True  # before - 50 < id <= before, as older Discourse served it
    old = [dict(p, id=p["id"] - 100) for p in forum.posts if p["id"] in (101, 102)]
    forum.posts += old  # ids 1 and 2: 99 ids below the next post, an empty window between

    found = activities(client_for(forum).records())

    assert sorted(int(r.external_id) for r in found) == [
        1, 2, 101, 102, 105, 106, 107, 108, 110, 112, 115, 118, 120,
    ]  # fmt: skip
    assert "/posts.json?before=51" in forum.paths()


def test_a_server_that_ignores_before_is_stopped_rather_than_trusted(forum: FakeForum) -> None:
    forum.page_size = 4
    forum.latest = lambda before: sorted(forum.posts, key=lambda p: -p["id"])[:4]  # type: ignore[method-assign]

    with pytest.raises(DiscourseSyncError, match="ignored “before”"):
        list(client_for(forum).records())


def test_rate_limiting_waits_as_long_as_retry_after_says(forum: FakeForum) -> None:
    forum.failures.append(Failure("/posts.json", 429, {"Retry-After": "1"}))
    sleeps = Sleeps()

    found = activities(client_for(forum, sleep=sleeps).records())

    assert len(found) == 11
    assert sleeps == [1.0]
    assert forum.paths()[:2] == ["/posts.json", "/posts.json"]


def test_a_429_without_header_uses_discourse_s_wait_seconds(forum: FakeForum) -> None:
    body = b'{"errors":["Slow down"],"error_type":"rate_limit","extras":{"wait_seconds":7}}'
    forum.failures.append(Failure("/posts.json", 429, {}, body))
    sleeps = Sleeps()

    list(client_for(forum, sleep=sleeps).records())

    assert sleeps == [7.0]


def test_retry_after_accepts_seconds_or_a_date_and_caps_at_a_minute() -> None:
    now = datetime(2024, 9, 21, 12, 0, 0, tzinfo=UTC)

    assert retry_after_seconds("1") == 1.0
    assert retry_after_seconds("3600") == 60.0
    assert retry_after_seconds("Sat, 21 Sep 2024 12:00:20 GMT", now=now) == 20.0
    assert retry_after_seconds("Sat, 21 Sep 2024 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_server_error_is_retried_with_backoff(forum: FakeForum) -> None:
    forum.failures += [Failure("/posts.json", 500), Failure("/posts.json", 502)]
    sleeps = Sleeps()

    found = activities(client_for(forum, sleep=sleeps).records())

    assert len(found) == 11
    assert sleeps == [1.0, 2.0]


def test_a_server_that_keeps_failing_gives_up_after_max_retries(forum: FakeForum) -> None:
    forum.failures += [Failure("/posts.json", 503) for _ in range(4)]
    sleeps = Sleeps()

    with pytest.raises(DiscourseSyncError) as caught:
        list(client_for(forum, sleep=sleeps, max_retries=2).records())

    assert "/posts.json still failed after 3 attempts: HTTP 503" in str(caught.value)
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_clear_error_that_never_shows_the_key(
    forum: FakeForum, status: int
) -> None:
    forum.failures.append(Failure("/posts.json", status))

    with pytest.raises(DiscourseSyncError) as caught:
        list(client_for(forum).records())

    message = str(caught.value)
    assert f"The forum refused /posts.json (HTTP {status})" in message
    assert "API key" in message
    assert API_KEY not in message
    assert caught.value.status == status
    assert len(forum.requests) == 1  # not retried


def test_a_wrong_key_is_refused(forum: FakeForum) -> None:
    with pytest.raises(DiscourseSyncError, match="HTTP 403"):
        list(client_for(forum, api_key="wrong").records())


def test_an_unreachable_forum_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    sleeps = Sleeps()
    client = DiscourseClient(f"http://127.0.0.1:{port}", API_KEY, max_retries=3, sleep=sleeps)

    with pytest.raises(DiscourseSyncError, match="still failed after 4 attempts"):
        list(client.records())
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_redirect_to_another_host_is_not_followed_with_the_key(forum: FakeForum) -> None:
    forum.failures.append(
        Failure("/posts.json", 302, {"Location": "http://collector.invalid/posts.json"})
    )

    with pytest.raises(DiscourseSyncError, match="collector.invalid"):
        list(client_for(forum).records())
    assert len(forum.requests) == 1


def test_an_html_page_instead_of_json_is_reported(forum: FakeForum) -> None:
    forum.failures.append(
        Failure("/posts.json", 200, {"Content-Type": "text/html"}, b"<html>login</html>")
    )

    with pytest.raises(DiscourseSyncError, match="did not answer with JSON"):
        list(client_for(forum).records())


def test_a_malformed_post_names_the_page_and_its_position(forum: FakeForum) -> None:
    forum.posts[2]["created_at"] = "sometime"  # post 115, third on the first page

    with pytest.raises(ImportFormatError) as caught:
        list(client_for(forum).records())

    assert caught.value.path == "/posts.json"
    assert (caught.value.record, caught.value.field) == (3, "created_at")


def test_only_http_addresses_are_accepted() -> None:
    with pytest.raises(DiscourseSyncError, match="not an http"):
        DiscourseClient("file:///etc/passwd", API_KEY)


def test_a_live_sync_counts_topic_starters_and_replies(forum: FakeForum) -> None:
    kinds = Counter(r.kind for r in activities(client_for(forum).records()))

    assert kinds == {ActivityKind.POST: 4, ActivityKind.REPLY: 7}

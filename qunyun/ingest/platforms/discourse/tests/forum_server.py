"""A small Discourse stand-in: a real HTTP server on 127.0.0.1 serving API-shaped JSON.

It answers ``/posts.json`` (with either ``before`` semantics), ``/t/{id}.json`` and
``/site.json`` from the posts it holds, checks the ``Api-Key`` header like Discourse
does, records every request, and can be told to fail the next requests of a path
(429 with ``Retry-After``, 500, 401, a redirect …).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "forum"
API_KEY = "test-api-key-3f9a"


def fixture_posts() -> list[dict[str, Any]]:
    """The eleven posts of the saved ``/posts.json`` pages, newest first."""
    posts: list[dict[str, Any]] = []
    for name in ("posts.json", "posts_before_108.json"):
        posts += json.loads((FIXTURES / name).read_text(encoding="utf-8"))["latest_posts"]
    return posts


def fixture_categories() -> list[dict[str, Any]]:
    site = json.loads((FIXTURES / "site.json").read_text(encoding="utf-8"))
    return list(site["categories"])


@dataclass
class Failure:
    path: str  # the request path without its query
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FakeForum:
    """The state behind the server; tests change it between syncs."""

    def __init__(self, posts: list[dict[str, Any]] | None = None) -> None:
        self.posts = copy.deepcopy(fixture_posts() if posts is None else posts)
        #: topic id → its category, title and slug, as the topic itself knows them
        self.topics = {
            p["topic_id"]: (p.get("category_id"), p.get("topic_title", ""), p.get("topic_slug", ""))
            for p in self.posts
        }
        self.categories = fixture_categories()
        self.page_size = 50
        self.windowed = False  # the older "before - 50 < id <= before" semantics
        self.failures: list[Failure] = []
        self.requests: list[Request] = []
        self.url = ""

    def add_post(self, post: dict[str, Any]) -> None:
        self.posts.append(post)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append(Request(target, headers))
        parts = urlsplit(target)
        for failure in self.failures:
            if failure.path == parts.path:
                self.failures.remove(failure)
                return failure.status, failure.headers, failure.body
        if headers.get("api-key") != API_KEY:
            return 403, {}, b'{"errors":["You are not permitted to view the requested resource."]}'
        if parts.path == "/posts.json":
            before = parse_qs(parts.query).get("before", [""])[0]
            return self.json({"latest_posts": self.latest(int(before) if before else None)})
        if parts.path == "/site.json":
            return self.json({"categories": self.categories, "post_types": {"regular": 1}})
        if parts.path.startswith("/t/") and parts.path.endswith(".json"):
            topic = self.topic(parts.path[3:-5])
            if topic is not None:
                return self.json(topic)
        return 404, {}, b'{"errors":["The requested URL or resource could not be found."]}'

    def json(self, document: Any) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        return 200, {"Content-Type": "application/json; charset=utf-8"}, body

    def latest(self, before: int | None) -> list[dict[str, Any]]:
        ids = sorted((p["id"] for p in self.posts), reverse=True)
        if self.windowed:
            top = before if before is not None else (ids[0] if ids else 0)
            chosen = [p for p in self.posts if top - 50 < p["id"] <= top]
            return sorted(chosen, key=lambda p: p["created_at"], reverse=True)[: self.page_size]
        chosen = [p for p in self.posts if before is None or p["id"] < before]
        return sorted(chosen, key=lambda p: p["id"], reverse=True)[: self.page_size]

    def topic(self, raw_id: str) -> dict[str, Any] | None:
        if not raw_id.isdigit():
            return None
        topic_id = int(raw_id)
        posts = sorted(
            (p for p in self.posts if p["topic_id"] == topic_id), key=lambda p: p["post_number"]
        )
        if not posts:
            return None
        category_id, title, slug = self.topics.get(topic_id, (None, "", ""))
        stream_posts = [
            {k: v for k, v in p.items() if k not in ("topic_title", "category_id")}
            for p in posts[:20]
        ]
        return {
            "post_stream": {"posts": stream_posts, "stream": [p["id"] for p in posts]},
            "id": topic_id,
            "title": title,
            "slug": slug,
            "category_id": category_id,
            "posts_count": len(posts),
            "archetype": "regular",
        }


class _Handler(BaseHTTPRequestHandler):
    forum: FakeForum

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, extra, body = self.forum.answer(self.path, headers)
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        if "Content-Type" not in extra:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output quiet


@contextmanager
def serve(forum: FakeForum) -> Iterator[FakeForum]:
    """Serve ``forum`` on 127.0.0.1 (a free port) while the block runs."""
    handler = type("Handler", (_Handler,), {"forum": forum})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    forum.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield forum
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

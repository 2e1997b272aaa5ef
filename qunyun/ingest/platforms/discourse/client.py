"""Live Discourse connector: the forum's new posts over its API → canonical records.

Spec: https://docs.discourse.org (``GET /posts.json``, ``GET /t/{id}.json``,
``GET /site.json``; authentication with the ``Api-Key`` and ``Api-Username`` headers).
Operator notes in ``docs/import-formats.md`` ("Discourse (files and live sync)").

Incremental by post id: :meth:`DiscourseClient.records` pages ``/posts.json`` backwards
with ``before=<post id>`` until it reaches posts at or below ``after_id``, then yields
the new posts oldest first. Paging backwards but yielding forwards means holding every
new post (trimmed to the fields we map) until the last page has arrived: memory is page
size × pages since ``after_id``. Each post is mapped by the same
:class:`~qunyun.ingest.platforms.discourse.mapping.PostMapper` as the file parser.

Two ``before`` semantics exist in the wild. Current Discourse returns the 50 newest
posts with ``id < before``; older versions returned the posts with
``before - 50 < id <= before`` — an id *window* that can be empty in the middle of the
history. The client detects the older kind (it echoes the ``before`` post) and then
steps window by window instead of stopping at an empty page.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.utils.translation import gettext as _

from qunyun.ingest.errors import SyncError
from qunyun.ingest.platforms.discourse.forum_index import ForumIndex, as_int, needs_topic
from qunyun.ingest.platforms.discourse.mapping import USED_FIELDS, PostMapper
from qunyun.ingest.records import ActivityRecord, ChannelRecord
from qunyun.outbound import OutboundRefused, check_url, guarded_opener

Record = ChannelRecord | ActivityRecord
Located = tuple[str, int, Any]  # (URL path, position in its page, post)

WINDOW = 50  # the id window of older servers' ``before``
RETRY_AFTER_CAP = 60.0
BACKOFF_CAP = 60.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
OPTIONAL_STATUSES = frozenset({403, 404, 410})  # a topic or /site.json we may not see


def _user_agent() -> str:
    try:
        version = metadata.version("qunyun")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"Qunyun/{version}"


class DiscourseSyncError(SyncError):
    """The forum could not be read. The message is translated and names the URL path.

    ``status`` is the HTTP status when the server answered with an error.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _SameSiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects on the forum's own host only: the API key travels with them."""

    def __init__(self, host: str, secure: bool) -> None:
        self.host = host
        self.secure = secure

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        target = urlsplit(newurl)
        if target.hostname != self.host or target.scheme not in (
            ("https",) if self.secure else ("http", "https")
        ):
            raise DiscourseSyncError(
                _(
                    "The forum redirected %(path)s to %(target)s; to keep the API key safe "
                    "it is not followed. Use that address as the forum URL."
                )
                % {
                    "path": urlsplit(req.full_url).path,
                    "target": f"{target.scheme}://{target.netloc}",
                }
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), at most 60 s."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


class DiscourseClient:
    """Reads one Discourse forum with an API key. Not thread-safe; one per sync."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_username: str = "system",
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url.strip())
        try:
            check_url(base_url)  # public addresses only (qunyun.outbound), before any key goes
        except OutboundRefused as error:
            raise DiscourseSyncError(str(error)) from None
        self.base_url = base_url.strip().rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.requests_made = 0
        self._headers = {
            "Api-Key": api_key,
            "Api-Username": api_username,
            "Accept": "application/json",
            "User-Agent": _user_agent(),
        }
        # Every connection, redirects included, passes the outbound guard again.
        self._opener = guarded_opener(
            _SameSiteRedirects(str(parts.hostname), secure=parts.scheme == "https")
        )

    # -- records -----------------------------------------------------------------------

    def records(self, after_id: int = 0) -> Iterator[Record]:
        """Yield the channels and activities of every post newer than ``after_id``.

        Raises :class:`DiscourseSyncError` when the forum cannot be read, and
        :class:`~qunyun.ingest.errors.ImportFormatError` for a malformed post (naming
        the URL path and the post's position in that page).
        """
        posts = self.new_posts(after_id)
        if not posts:
            return
        index = ForumIndex()
        for category in self.categories():
            index.learn_category(category)
        for _path, _position, post in posts:
            index.learn_post(post)
        mapper = PostMapper(index)
        fetched: set[int] = set()
        for path, position, post in posts:
            topic_id = needs_topic(index, post)
            if topic_id is not None and topic_id not in fetched:
                fetched.add(topic_id)
                index.learn_topic_document(self.topic(topic_id))
            yield from mapper.records(post, path=path, record=position)

    def new_posts(self, after_id: int = 0) -> list[Located]:
        """Every post with an id above ``after_id``, oldest first, trimmed for mapping."""
        collected: dict[int, Located] = {}
        unidentified: list[Located] = []  # kept so that mapping reports them with a place
        before: int | None = None
        windowed: bool | None = None
        while True:
            path = "/posts.json" if before is None else f"/posts.json?before={before}"
            ids: list[int] = []
            for position, post in enumerate(self.latest_posts(path), 1):
                post_id = as_int(post.get("id")) if isinstance(post, dict) else None
                if post_id is None:
                    unidentified.append((path, position, post))
                    continue
                ids.append(post_id)
                if post_id > after_id and post_id not in collected:
                    collected[post_id] = (path, position, _trimmed(post))
            if before is not None and any(post_id > before for post_id in ids):
                raise DiscourseSyncError(
                    _(
                        "The forum ignored “before” in %(path)s; stopping so that no post "
                        "is skipped."
                    )
                    % {"path": path}
                )
            if before is not None and windowed is None and ids:
                windowed = before in ids
            if any(post_id <= after_id for post_id in ids):
                break  # pages go backwards: everything further is already imported
            if windowed and before is not None:
                before -= WINDOW
                if before <= max(after_id, 0):
                    break
                continue
            if not ids:
                break
            before = min(ids)
        return [collected[post_id] for post_id in sorted(collected)] + unidentified

    # -- endpoints -----------------------------------------------------------------------

    def latest_posts(self, path: str) -> list[Any]:
        document = self.get_json(path)
        posts = document.get("latest_posts") if isinstance(document, dict) else None
        if not isinstance(posts, list):
            raise DiscourseSyncError(
                _("%(path)s did not answer with “latest_posts”: is the URL a Discourse forum?")
                % {"path": path}
            )
        return posts

    def topic(self, topic_id: int) -> Any:
        """The ``/t/{id}.json`` document, or ``None`` when the topic cannot be seen."""
        try:
            return self.get_json(f"/t/{topic_id}.json")
        except DiscourseSyncError as error:
            if error.status in OPTIONAL_STATUSES:
                return None
            raise

    def categories(self) -> list[Any]:
        """The categories of ``/site.json`` (for names); empty when it cannot be seen."""
        try:
            document = self.get_json("/site.json")
        except DiscourseSyncError as error:
            if error.status in OPTIONAL_STATUSES:
                return []
            raise
        found = document.get("categories") if isinstance(document, dict) else None
        return found if isinstance(found, list) else []

    # -- HTTP ----------------------------------------------------------------------------

    def get_json(self, path: str) -> Any:
        """GET ``path`` and parse the JSON answer, retrying what is worth retrying.

        429: waits what ``Retry-After`` asks (at most 60 s); 5xx and network errors:
        exponential backoff; each up to ``max_retries`` times. 401/403 and other
        client errors raise :class:`DiscourseSyncError` at once.
        """
        body = self._get(path)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise DiscourseSyncError(
                _("%(path)s did not answer with JSON: is the URL a Discourse forum?")
                % {"path": path}
            ) from None

    def _get(self, path: str) -> bytes:
        # The scheme was checked to be http(s) in __init__.
        request = urllib.request.Request(self.base_url + path, headers=self._headers)  # noqa: S310
        attempt = 0
        while True:
            self.requests_made += 1
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
                if len(body) > MAX_RESPONSE_BYTES:
                    raise DiscourseSyncError(
                        _("%(path)s answered with more than %(size)d MB.")
                        % {"path": path, "size": MAX_RESPONSE_BYTES // (1024 * 1024)}
                    )
                return body
            except OutboundRefused as error:
                raise DiscourseSyncError(str(error)) from None
            except urllib.error.HTTPError as error:
                with error:
                    wait = self._wait_after(error, path, attempt)
                reason = f"HTTP {error.code}"
                status: int | None = error.code
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                wait = min(2.0**attempt, BACKOFF_CAP)
                reason = str(getattr(error, "reason", None) or error)
                status = None
            if attempt >= self.max_retries:
                raise DiscourseSyncError(
                    _("%(path)s still failed after %(attempts)d attempts: %(reason)s")
                    % {"path": path, "attempts": attempt + 1, "reason": reason},
                    status=status,
                )
            self.sleep(wait)
            attempt += 1

    def _wait_after(self, error: urllib.error.HTTPError, path: str, attempt: int) -> float:
        """How long to wait before retrying ``error``; raises when it is not retryable."""
        status = error.code
        if status == 429:
            wait = retry_after_seconds(error.headers.get("Retry-After"))
            if wait is None:
                wait = _wait_seconds_in_body(error)
            return wait if wait is not None else min(2.0**attempt, BACKOFF_CAP)
        if status >= 500:
            return min(2.0**attempt, BACKOFF_CAP)
        if status in (401, 403):
            problem = _(
                "The forum refused %(path)s (HTTP %(status)d): check the API key, its user "
                "(Api-Username) and that its scope allows reading."
            )
        elif status == 404:
            problem = _("%(path)s was not found (HTTP %(status)d): is the URL the forum's address?")
        else:
            problem = _("%(path)s failed with HTTP %(status)d.")
        raise DiscourseSyncError(problem % {"path": path, "status": status}, status=status)


def _wait_seconds_in_body(error: urllib.error.HTTPError) -> float | None:
    """Discourse also says ``{"extras": {"wait_seconds": 12}}`` in a 429 answer."""
    try:
        document = orjson.loads(error.read(64 * 1024))
    except (orjson.JSONDecodeError, OSError, http.client.HTTPException):
        return None
    extras = document.get("extras") if isinstance(document, dict) else None
    seconds = extras.get("wait_seconds") if isinstance(extras, dict) else None
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return min(max(float(seconds), 0.0), RETRY_AFTER_CAP)
    return None


def _trimmed(post: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the mapping reads; ``cooked`` is dropped when ``raw`` is there."""
    kept = {key: value for key, value in post.items() if key in USED_FIELDS}
    if isinstance(kept.get("raw"), str):
        kept.pop("cooked", None)
    return kept

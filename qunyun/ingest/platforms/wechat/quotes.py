"""Find the message a quoted reply (type 49, sub type 57) points to.

The quote's XML (``<refermsg>``) names the quoted message by its server id (``svrid``),
which the CSV does not have, by its sender (``chatusr`` / ``fromusr`` wxid and
``displayname``) and, in WeChat 3.9 and later, by its ``createtime`` in epoch seconds.
A message of the same conversation sent in that second by that sender is the target.
"""

from __future__ import annotations

from collections import deque

from qunyun.ingest.platforms.wechat.content import Quote

#: Messages remembered per import, newest kept: quotes point to recent messages, and
#: memory must not grow with the size of the export.
CAPACITY = 100_000


class QuoteIndex:
    """The most recent messages by (channel, second), with their sender's wxid and name."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._by_second: dict[tuple[str, int], list[tuple[str | None, str, str]]] = {}
        self._order: deque[tuple[str, int]] = deque()

    def add(
        self, channel: str, created: int, wxid: str | None, name: str, external_id: str
    ) -> None:
        """Remember that ``external_id`` was sent at ``created`` by ``wxid`` / ``name``."""
        key = (channel, created)
        entries = self._by_second.get(key)
        if entries is not None:
            entries.append((wxid, name, external_id))
            return
        if len(self._order) >= self._capacity:
            self._by_second.pop(self._order.popleft(), None)
        self._by_second[key] = [(wxid, name, external_id)]
        self._order.append(key)

    def find(self, channel: str, quote: Quote) -> str | None:
        """Return the external id of the quoted message, or ``None`` if it is not certain.

        Several messages in that second are told apart by sender; when the quote's
        sender is spelled differently from the CSV's (a wxid against a display name), a
        message alone in its second is still taken.
        """
        if quote.created is None:
            return None
        entries = self._by_second.get((channel, quote.created))
        if not entries:
            return None
        if quote.senders:
            matching = [
                external_id
                for wxid, name, external_id in entries
                if wxid in quote.senders or name in quote.senders
            ]
            if matching:
                return matching[0] if len(matching) == 1 else None
        return entries[0][2] if len(entries) == 1 else None

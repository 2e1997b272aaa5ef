"""Which forum topic each message of a chat is in, kept small for chats of millions."""

from __future__ import annotations

from array import array
from bisect import bisect_left


class ThreadIndex:
    """Which forum topic each message is in, in 16 bytes a message.

    Exports list messages by increasing id, so ids are appended in order to an array and
    found by bisection; the few out of order go to a dict.
    """

    def __init__(self) -> None:
        self._ids = array("q")
        self._topics = array("q")
        self._others: dict[int, str] = {}

    def add(self, msg_id: int, thread: str) -> None:
        ids = self._ids
        if not ids or msg_id > ids[-1]:
            try:
                topic = int(thread)
                if str(topic) == thread:
                    self._topics.append(topic)
                    try:
                        ids.append(msg_id)
                    except OverflowError:
                        self._topics.pop()
                        raise
                    return
            except (OverflowError, ValueError):
                pass  # kept below
        self._others[msg_id] = thread

    def get(self, msg_id: int) -> str | None:
        found = self._others.get(msg_id)
        if found is not None:
            return found
        ids = self._ids
        position = bisect_left(ids, msg_id)
        if position < len(ids) and ids[position] == msg_id:
            return str(self._topics[position])
        return None

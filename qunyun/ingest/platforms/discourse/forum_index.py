"""What Discourse posts do not say about themselves, learned from every response seen.

A post from ``/t/{id}.json`` may lack its category and topic title, and a reply names
its target by *post number* within the topic, not by id. :class:`ForumIndex` gathers
these facts from every post, topic and category list a caller has seen, so that
:class:`~qunyun.ingest.platforms.discourse.mapping.PostMapper` can complete each post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_MAX_NUMBER = 1 << 31


def as_int(value: Any) -> int | None:
    """``value`` if it is an integer (``True`` is not), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(slots=True)
class TopicFacts:
    """What is known about one topic from any response that mentions it."""

    category_id: int | None = None
    title: str = ""
    slug: str = ""
    starter_id: int | None = None


class ForumIndex:
    """Category names, topic facts and (topic, post number) → post id, learned leniently.

    Learning never fails: a malformed value is simply not learned, and the mapper reports
    it when it maps that post. Memory is a few small integers per post.
    """

    def __init__(self) -> None:
        self.category_names: dict[int, str] = {}
        self.topics: dict[int, TopicFacts] = {}
        self._post_ids: dict[int, int] = {}

    def topic(self, topic_id: int) -> TopicFacts:
        facts = self.topics.get(topic_id)
        if facts is None:
            facts = self.topics[topic_id] = TopicFacts()
        return facts

    def learn_post(self, post: Any, topic_id: int | None = None) -> None:
        if not isinstance(post, dict):
            return
        post_id = as_int(post.get("id"))
        topic_id = as_int(post.get("topic_id")) or topic_id
        if post_id is None or topic_id is None:
            return
        number = as_int(post.get("post_number"))
        self.learn_topic(
            topic_id,
            category_id=as_int(post.get("category_id")),
            title=text_or_empty(post.get("topic_title")),
            slug=text_or_empty(post.get("topic_slug")),
            starter_id=post_id if number == 1 else None,
        )
        if number is not None and 0 < number < _MAX_NUMBER:
            self._post_ids.setdefault(_key(topic_id, number), post_id)
        category_id = as_int(post.get("category_id"))
        name = post.get("category_name")
        if category_id is not None and isinstance(name, str) and name:
            self.category_names.setdefault(category_id, name)

    def learn_topic(
        self,
        topic_id: int,
        *,
        category_id: int | None = None,
        title: str = "",
        slug: str = "",
        starter_id: int | None = None,
    ) -> None:
        """Fill what is still unknown about the topic; the first answer wins."""
        facts = self.topic(topic_id)
        if facts.category_id is None:
            facts.category_id = category_id
        facts.title = facts.title or title
        facts.slug = facts.slug or slug
        if facts.starter_id is None:
            facts.starter_id = starter_id

    def learn_topic_document(self, document: Any) -> None:
        """Learn a ``/t/{id}.json`` response: the topic's own fields and its posts."""
        if not isinstance(document, dict):
            return
        topic_id = as_int(document.get("id"))
        stream = document.get("post_stream")
        posts = stream.get("posts") if isinstance(stream, dict) else None
        ids = stream.get("stream") if isinstance(stream, dict) else None
        if topic_id is not None:
            self.learn_topic(
                topic_id,
                category_id=as_int(document.get("category_id")),
                title=text_or_empty(document.get("title")),
                slug=text_or_empty(document.get("slug")),
            )
        for post in posts if isinstance(posts, list) else ():
            self.learn_post(post, topic_id)
        if topic_id is not None and isinstance(ids, list) and ids:
            # ``stream`` lists every post id in reading order: the first is the starter.
            self.learn_topic(topic_id, starter_id=as_int(ids[0]))

    def learn_category(self, category: Any) -> None:
        """Learn a category of ``/site.json`` or ``/categories.json`` and its children."""
        if not isinstance(category, dict):
            return
        category_id = as_int(category.get("id"))
        name = category.get("name")
        if category_id is not None and isinstance(name, str) and name:
            self.category_names.setdefault(category_id, name)
        children = category.get("subcategory_list")
        for child in children if isinstance(children, list) else ():
            self.learn_category(child)

    def post_id(self, topic_id: int, number: int) -> int | None:
        if not 0 < number < _MAX_NUMBER:
            return None
        return self._post_ids.get(_key(topic_id, number))


def _key(topic_id: int, number: int) -> int:
    return topic_id * _MAX_NUMBER + number  # one int instead of a tuple per post


def needs_topic(index: ForumIndex, post: Any) -> int | None:
    """The topic id to fetch before mapping ``post``, or ``None`` if nothing is missing.

    A topic is needed when the post's category is unknown, a starter's title is missing,
    or a reply's target (its post number, else the starter) is not in the index.
    """
    if not isinstance(post, dict):
        return None
    topic_id = as_int(post.get("topic_id"))
    number = as_int(post.get("post_number"))
    if topic_id is None or number is None:
        return None
    facts = index.topic(topic_id)
    if as_int(post.get("category_id")) is None and facts.category_id is None:
        return topic_id
    if number == 1:
        return topic_id if not (text_or_empty(post.get("topic_title")) or facts.title) else None
    explicit = as_int(post.get("reply_to_post_number"))
    if explicit is not None and index.post_id(topic_id, explicit) is None:
        return topic_id
    if index.post_id(topic_id, 1) is None and facts.starter_id is None:
        return topic_id
    return None

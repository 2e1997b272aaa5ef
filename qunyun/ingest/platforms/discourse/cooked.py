"""Discourse's ``cooked`` post HTML → plain text.

Older responses (``/t/{id}.json`` without ``include_raw``) carry only ``cooked``, the
server-rendered HTML of a post. We keep its words and nothing else: tags are dropped,
``<script>``/``<style>`` contents skipped, block elements become line breaks, emoji images
become their ``:shortcode:``. Entities are decoded because they are part of HTML itself.
Nothing is ever rendered, fetched or executed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "address",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
_SKIPPED = frozenset({"script", "style", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_TAG = re.compile(r"<[^>]*>?")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "img" and not self.skipping:
            values = dict(attrs)
            if "emoji" in (values.get("class") or "").split() and values.get("alt"):
                self.parts.append(values["alt"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED:  # <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _collect(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts)


def cooked_to_text(html: str) -> str:
    """Return the plain text of the post HTML ``html``, one line per block."""
    try:
        text = _collect(html)
    except AssertionError:
        # html.parser gives up on some malformed declarations (an unknown "<![keyword"):
        # read every "<!" as text instead; failing that, drop anything tag-shaped.
        try:
            text = _collect(html.replace("<!", "&lt;!"))
        except AssertionError:
            text = _TAG.sub("\n", html)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)

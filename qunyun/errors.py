"""The one base for what a user or a caller can get wrong (after Zulip's ``JsonableError``).

A :class:`QunyunError` carries three things: a ``message`` for the person (translated),
a stable machine ``code`` (snake_case, never translated, documented in docs/api.md) and
the ``http_status`` the REST API answers with. The API maps every one of them in one
place (:func:`qunyun.api_requests.qunyun_error_response`), so an endpoint raises and
never builds an error answer by hand; pages and CLI commands catch the subclass they
expect and show ``str(error)``.

This module sits in the lowest layer (pyproject.toml, import-linter): anything may
derive from it, and it imports nothing of Qunyun.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise


class QunyunError(Exception):
    """Something the operator or the caller can fix; the message says what.

    The message may be a lazy translation (``gettext_lazy``): it is rendered when it is
    read, in the language active then — for the API, the request's language.
    """

    #: Stable, snake_case, part of the API's contract: clients branch on it, not on text.
    code: ClassVar[str] = "qunyun_error"
    #: What the REST API answers with when the error reaches it.
    http_status: ClassVar[int] = 400

    def __init__(self, message: str | Promise = "") -> None:
        super().__init__(message)

    @property
    def message(self) -> str:
        """The text for the person, rendered now (so in the active language)."""
        return str(self)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def to_json(self) -> dict[str, Any]:
        """The API's answer: ``{"detail": …, "code": …}`` and whatever a subclass adds."""
        return {"detail": self.message, "code": self.code}

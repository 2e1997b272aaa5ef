"""What a caller can get wrong with members' privacy rights (the message says what)."""

from __future__ import annotations

from qunyun.errors import QunyunError


class PrivacyRefused(QunyunError, PermissionError):
    """The acting user's role in the workspace lacks the ``privacy`` capability."""

    code = "privacy_refused"
    http_status = 403


class PrivacyRequestError(QunyunError):
    """A privacy request that cannot be carried out as asked (done, member gone, bad
    retention policy…)."""

    code = "privacy_request"
    http_status = 400

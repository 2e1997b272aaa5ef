"""Secrets kept in the database encrypted (a forum's API key, later a channel's token).

Fernet (``cryptography``): AES-128-CBC with an HMAC-SHA256, so a stored value can be
neither read nor altered without the key. The key is derived (HKDF-SHA256) from
``settings.ENCRYPTION_KEYS`` — ``QUNYUN_ENCRYPTION_KEY`` when set, otherwise the
installation's secret key — which lives in the environment or the data dir, never in the
database: a backup or a copy of the database holds only the ciphertext.

Several keys rotate: the first encrypts, every one decrypts (``MultiFernet``). A value
that no key opens raises :class:`SecretUnreadable`, which says what to do; the secret
itself never appears in a message.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet as _Fernet
from cryptography.fernet import InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qunyun.errors import QunyunError

#: Binds the derived key to this use: the same secret key signs sessions, differently.
PURPOSE = b"qunyun stored secrets v1"


class SecretUnreadable(QunyunError):
    """A stored secret that none of the configured keys decrypts."""

    code = "secret_unreadable"
    http_status = 500

    def __init__(self) -> None:
        super().__init__(
            _(
                "A stored secret cannot be decrypted: the secret key (QUNYUN_SECRET_KEY or "
                "QUNYUN_ENCRYPTION_KEY) changed since it was saved. Put the old key back "
                "(after the new one in QUNYUN_ENCRYPTION_KEY), or enter the secret again."
            )
        )


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_Fernet(_fernet_key(key)) for key in keys])


def seal(plaintext: str) -> str:
    """``plaintext`` encrypted with the first configured key (ASCII, safe to store)."""
    return _box(tuple(settings.ENCRYPTION_KEYS)).encrypt(plaintext.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    """The plaintext of a :func:`seal` result; :class:`SecretUnreadable` if no key opens it."""
    try:
        return _box(tuple(settings.ENCRYPTION_KEYS)).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable() from None

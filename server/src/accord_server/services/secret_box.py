"""Secrets the server must read back (webhook signing secrets), kept encrypted at rest.

The key is derived (HKDF-SHA256) from the server's ``ACCORD_SECRET_KEY``, so a copy of the
database without that key reveals no secret. Fernet (AES-128-CBC with HMAC-SHA256) seals each
value; a value sealed under another key does not open (``SecretUnreadable``)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"accord secret box v1"


class SecretUnreadable(Exception):
    """A sealed value that this key does not open (the server's key changed, or the value was
    tampered with)."""


class SecretBox:
    """Seals and opens short secrets with a key derived from ``secret_key``."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 16:
            raise ValueError("ACCORD_SECRET_KEY: use at least 16 characters (32 random bytes)")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: str) -> str:
        """``value`` encrypted and authenticated (text, for a database column)."""
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """What ``seal`` was given; ``SecretUnreadable`` if this key did not seal it."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with the server's ACCORD_SECRET_KEY "
                "(was the key changed?)"
            ) from exc

"""Subscriptions' signing secrets at rest: encrypted with Fernet, several keys for rotation."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "SecretCipher"]


class SecretCipher:
    """Encrypts with the first key; decrypts with any of them (key rotation)."""

    def __init__(self, key: str, previous_keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in (key, *previous_keys)])

    def encrypt(self, secret: str) -> str:
        """The Fernet token of a secret."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret of a Fernet token.

        Raises
        ------
        InvalidToken
            No configured key decrypts it (a key was removed too early) or it was altered.
        """
        return self._fernet.decrypt(token.encode()).decode()

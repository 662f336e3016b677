"""API keys: ``vae_<key id>_<secret>``; the secret is stored only as HMAC-SHA256 with a pepper.

A keyed hash (not a slow password hash) is right here: the secret is 256 random bits, so it
cannot be guessed, and the check runs on every request. The pepper keeps a stolen registry
useless without the gateway's configuration.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_KEY = re.compile(r"^vae_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: the full key is shown once; the registry keeps the id and the hash."""

    key: str
    key_id: str
    key_hash: str


def hash_secret(secret: str, pepper: str) -> str:
    """Returns the keyed hash of a key's secret part."""
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def issue_key(pepper: str) -> IssuedKey:
    """Makes a new random key."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return IssuedKey(f"vae_{key_id}_{secret}", key_id, hash_secret(secret, pepper))


def parse_key(key: str) -> tuple[str, str] | None:
    """Splits a key into (key id, secret), or None if it is not shaped like one."""
    match = _KEY.match(key)
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, key_hash: str, pepper: str) -> bool:
    """Compares a presented secret with the stored hash in constant time."""
    return hmac.compare_digest(hash_secret(secret, pepper), key_hash)

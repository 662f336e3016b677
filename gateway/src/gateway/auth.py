"""Authentication at the front door: API keys in, short-lived internal tokens out."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import AuthenticationError, Principal, mint_internal_token
from gateway.api_client.keys import parse_key, secret_matches
from gateway.api_client.service import Caller, find_caller

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vae", error="invalid_token"'}


class Authenticator:
    """Resolves API keys to callers (cached briefly) and signs their internal tokens (reused)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        pepper: str,
        signing_key: str | None,
        token_ttl_seconds: int,
        cache_seconds: float,
        audience: str,
        issuer: str,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._pepper = pepper
        self._signing_key = signing_key
        self._token_ttl = token_ttl_seconds
        self._audience = audience
        self._issuer = issuer
        # A revoked or rotated key keeps working at most `cache_seconds` on other replicas.
        self._callers: TTLCache[str, Caller | None] = TTLCache(
            maxsize=50_000, ttl=cache_seconds
        )
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lookups: dict[str, asyncio.Future[Caller | None]] = {}

    async def authenticate(self, authorization: str | None) -> Caller | None:
        """Returns the caller of an ``Authorization: Bearer <key>`` header, None without one.

        Raises
        ------
        AuthenticationError
            The header is malformed, or the key unknown, rotated or revoked.
        """
        if authorization is None:
            return None
        scheme, _, key = authorization.partition(" ")
        parsed = parse_key(key.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise AuthenticationError(
                "Send your API key as `Authorization: Bearer vae_…`.",
                headers=_CHALLENGE,
            )
        key_id, secret = parsed
        caller = await self._caller(key_id)
        if caller is None or not secret_matches(secret, caller.key_hash, self._pepper):
            raise AuthenticationError(
                "The API key is unknown, rotated or revoked: ask your administrator for a valid key.",
                headers=_CHALLENGE,
            )
        return caller

    async def _caller(self, key_id: str) -> Caller | None:
        # One look-up per key at a time: when an entry expires under load, the requests that
        # need it wait for the same query instead of each running its own.
        # One read: between a membership test and a read, the entry may expire (KeyError).
        try:
            return self._callers[key_id]
        except KeyError:
            pass
        pending = self._lookups.get(key_id)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(key_id))
            self._lookups[key_id] = pending
            pending.add_done_callback(lambda _: self._lookups.pop(key_id, None))
        return await asyncio.shield(pending)

    async def _look_up(self, key_id: str) -> Caller | None:
        async with self._sessionmaker() as db:
            caller = await find_caller(db, key_id)
        self._callers[key_id] = caller
        return caller

    def forget(self, key_id: str) -> None:
        """Drops a cached key at once (after a rotation or revocation on this replica)."""
        self._callers.pop(key_id, None)

    def internal_token(self, caller: Caller) -> str:
        """Returns a signed internal token naming the caller, reused for half its lifetime."""
        now = time.monotonic()
        cached = self._tokens.get(caller.client_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        if self._signing_key is None:
            raise AuthenticationError(
                "The gateway has no signing key configured: it cannot act for callers."
            )
        principal = Principal(
            caller.client_id, caller.role, caller.organisation_id, caller.scopes
        )
        token = mint_internal_token(
            self._signing_key,
            principal,
            audience=self._audience,
            issuer=self._issuer,
            ttl=timedelta(seconds=self._token_ttl),
        )
        if len(self._tokens) > 50_000:
            self._tokens.clear()
        self._tokens[caller.client_id] = (token, now + self._token_ttl / 2)
        return token

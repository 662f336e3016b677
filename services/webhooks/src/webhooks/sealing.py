"""Signing secrets never rest in plain text, not even in the idempotency keys' stored answers.

A route that shows a secret (creation, rotation) puts it in its answer *sealed* (encrypted with
the service's cipher). The Idempotency-Key middleware stores that answer as it is, sealed.
``SecretUnsealMiddleware``, outside it, opens the seal on the way to the client, for the first
answer and for its replays alike.

Middleware order, outer to inner: request context → SecretUnsealMiddleware →
IdempotencyMiddleware → routes.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webhooks.crypto import SecretCipher

SEALED_PREFIX = "sealed:"
_SEALED_MARK = b'"' + SEALED_PREFIX.encode()
_PATH_PREFIX = "/v1/webhook-subscriptions"


def seal(cipher: SecretCipher, secret: str) -> str:
    """A secret as a route puts it in its answer."""
    return SEALED_PREFIX + cipher.encrypt(secret)


def _unseal(cipher: SecretCipher, body: bytes) -> bytes:
    if _SEALED_MARK not in body:
        return body
    try:
        document: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(document, dict):
        return body
    value = document.get("secret")
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        document["secret"] = cipher.decrypt(value.removeprefix(SEALED_PREFIX))
    return orjson.dumps(document)


class SecretUnsealMiddleware:
    """Opens the sealed secret of the subscriptions' POST answers on their way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(_PATH_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        cipher: SecretCipher = scope["app"].state.cipher
        start: Message | None = None
        chunks: list[bytes] = []

        async def unseal(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = _unseal(cipher, b"".join(chunks))
            headers = [
                (name, value)
                for name, value in start.get("headers", [])
                if name.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, unseal)

"""Verifies webhook deliveries of the VAE platform (Standard Webhooks, HMAC-SHA256).

Two verifiers, with the same result:

- ``verify_with_library`` uses the ``standardwebhooks`` package (``pip install standardwebhooks``);
- ``verify_with_stdlib`` uses the standard library only, and shows what is signed:
  ``{webhook-id}.{webhook-timestamp}.{raw body}``, keyed with the base64 part of ``whsec_…``.

Run it as a small receiver (standard library only)::

    WEBHOOK_SECRET=whsec_… PORT=8080 python verify_webhook.py

It answers 204 to an authentic delivery, 204 again without processing to a redelivery of the
same ``webhook-id``, and 400 to a delivery it cannot verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

TOLERANCE_SECONDS = 5 * 60  # a delivery older or newer than this is refused (replays)


class InvalidWebhookError(Exception):
    """The delivery is not authentic, or too old or too new: answer 400 and ignore it."""


def verify_with_library(
    secret: str, body: bytes, headers: Mapping[str, str]
) -> dict[str, Any]:
    """Returns the delivered CloudEvent, checked by the ``standardwebhooks`` package."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    try:
        event: dict[str, Any] = Webhook(secret).verify(body, dict(headers))
    except (WebhookVerificationError, ValueError) as error:
        # ValueError: a malformed signature header or a body that is not UTF-8 JSON.
        raise InvalidWebhookError(str(error)) from error
    return event


def verify_with_stdlib(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Returns the delivered CloudEvent, checked with ``hmac`` and ``base64`` only.

    ``body`` must be the raw bytes received: parsing and re-serialising the JSON first changes
    the bytes, and the signature no longer matches.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (message_id and timestamp and signatures):
        raise InvalidWebhookError("a webhook-* header is missing")
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise InvalidWebhookError("webhook-timestamp is not a Unix time") from error
    current = time.time() if now is None else now
    if abs(current - sent_at) > TOLERANCE_SECONDS:
        raise InvalidWebhookError("webhook-timestamp is too far from now")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as error:
        raise InvalidWebhookError("the secret is not whsec_ + base64") from error
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    # The header may hold several space-separated signatures (during a secret rotation).
    for candidate in signatures.split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            event: dict[str, Any] = json.loads(body)
            return event
    raise InvalidWebhookError("no webhook-signature matches the secret")


class _Receiver(BaseHTTPRequestHandler):
    """Receives deliveries: verifies, deduplicates on webhook-id, answers at once."""

    secret: ClassVar[str] = ""
    seen: ClassVar[set[str]] = set()  # in production: a unique key in your database
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            event = verify_with_stdlib(self.secret, body, dict(self.headers.items()))
        except InvalidWebhookError as error:
            print(f"refused: {error}", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        with self.lock:
            duplicate = event["id"] in self.seen
            self.seen.add(event["id"])
        if duplicate:
            print(f"duplicate {event['id']}", flush=True)
        else:
            # Hand the event to a queue or a job here; answer within a few seconds.
            print(
                f"received {event['id']} {event['type']} {event.get('subject')}",
                flush=True,
            )
        self.send_response(204)
        self.end_headers()


def main() -> None:
    """Serves the receiver on PORT (8080) with WEBHOOK_SECRET."""
    _Receiver.secret = os.environ["WEBHOOK_SECRET"]
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

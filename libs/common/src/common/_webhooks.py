"""Signed event deliveries: Standard Webhooks signatures over CloudEvents JSON bodies.

The sending side (``HttpEventSink``) signs each POST with ``signature_headers``; the receiving
side checks it with ``EventDeliveryVerifier``. The signature is HMAC-SHA256 over
``{webhook-id}.{webhook-timestamp}.{body}`` (https://www.standardwebhooks.com/), the scheme
partners' webhooks will use too, so one verifier serves both.
"""

from __future__ import annotations

import base64
import binascii
import secrets as secrets_module
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from standardwebhooks.webhooks import (
    EmptyWebhookSecretError,
    Webhook,
    WebhookVerificationError,
)

from common._db import utcnow
from common._errors import AuthenticationError, InvalidInputError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# The tolerance is the library's (five minutes either way); quoted in error details only.
TIMESTAMP_TOLERANCE_SECONDS = 300
_REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion")


def generate_event_signing_secret() -> str:
    """Returns a new ``whsec_`` secret: 32 random bytes, base64-encoded."""
    # Standard Webhooks asks for 24 to 64 bytes of randomness.
    return SECRET_PREFIX + base64.b64encode(secrets_module.token_bytes(32)).decode()


def load_signing_secret(secret: str) -> Webhook:
    """Returns the signer/verifier of a ``whsec_`` secret, or raises ``ValueError``."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("An event signing secret starts with 'whsec_'.")
    try:
        return Webhook(secret)
    except (EmptyWebhookSecretError, binascii.Error) as error:
        raise ValueError(
            "An event signing secret is 'whsec_' followed by non-empty base64."
        ) from error


def signature_headers(signer: Webhook, message_id: str, body: bytes) -> dict[str, str]:
    """Returns the ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` of a body."""
    now = utcnow()
    # The library signs text; a CloudEvents JSON body is UTF-8, so the bytes signed are the
    # bytes sent.
    signature = signer.sign(message_id, now, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


class EventDeliveryVerifier:
    """Checks a delivery's Standard Webhooks signature and returns its CloudEvent.

    Several secrets are accepted so a secret can be rotated: the receiver lists the new one
    beside the old, the sender switches, then the old one is removed.
    """

    def __init__(self, secrets: Sequence[str]) -> None:
        if isinstance(secrets, str):
            raise TypeError("Pass a list of secrets, not a single string.")
        if not secrets:
            raise ValueError("An event delivery verifier needs at least one secret.")
        self._webhooks = [load_signing_secret(secret) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Returns the delivered CloudEvent once its signature and timestamp are checked.

        Raises
        ------
        AuthenticationError
            A signature header is missing, or no secret signs this body, id and timestamp,
            or the timestamp is more than five minutes away from now.
        InvalidInputError
            The authentic body is not a CloudEvents 1.0 JSON document, or its ``id`` is not
            the ``webhook-id``.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        missing = [name for name in SIGNATURE_HEADERS if not lowered.get(name)]
        if missing:
            raise AuthenticationError(
                f"The event delivery lacks the Standard Webhooks header(s) {', '.join(missing)}: "
                "sign every delivery with the shared secret."
            )
        signed = {name: lowered[name] for name in SIGNATURE_HEADERS}
        self._check_signature(body, signed)
        event = _parse_cloudevent(body)
        if event["id"] != signed["webhook-id"]:
            raise InvalidInputError(
                "The CloudEvent's id differs from the webhook-id header: send the event id as "
                "webhook-id, so receivers deduplicate on one identifier."
            )
        return event

    def _check_signature(self, body: bytes, headers: dict[str, str]) -> None:
        reason = "no secret matches the webhook-signature"
        for webhook in self._webhooks:
            try:
                webhook.verify(body, headers, json_parse=False)
            except WebhookVerificationError as error:
                reason = str(error)
                continue
            except ValueError:
                # A signature that is not "v1,<base64>", or a body that is not UTF-8, was not
                # made by a Standard Webhooks signer.
                reason = "the webhook-signature or the body is malformed"
                continue
            return
        raise AuthenticationError(
            f"The event delivery's signature is not valid ({reason.rstrip('.').lower()}): "
            "sign it with a current shared secret and a webhook-timestamp within "
            f"{TIMESTAMP_TOLERANCE_SECONDS // 60} minutes of now."
        )


def _parse_cloudevent(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise InvalidInputError(
            "The event delivery's body is not a JSON object: send a structured CloudEvents "
            "1.0 JSON document."
        )
    problems = [
        name
        for name in _REQUIRED_ATTRIBUTES
        if not isinstance(document.get(name), str) or not document[name]
    ]
    if problems:
        raise InvalidInputError(
            "The event delivery is not a CloudEvent: the attribute(s) "
            f"{', '.join(problems)} must be non-empty strings."
        )
    if document["specversion"] != "1.0":
        raise InvalidInputError(
            "The CloudEvent's specversion must be '1.0': send a CloudEvents 1.0 document."
        )
    return document


class _RefusingVerifier:
    """Stands in when a service has no event secret: every delivery is refused (401)."""

    def __init__(self, setting: str) -> None:
        self._setting = setting

    def verify(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        raise AuthenticationError(
            f"This service has no event secret configured ({self._setting}), so it accepts no event delivery."
        )


def event_delivery_verifier(
    secrets: Sequence[str], *, setting: str
) -> EventDeliveryVerifier | _RefusingVerifier:
    """The verifier of a service's incoming events; without a secret, one that refuses them all.

    ``setting`` names the environment variable to set, for the refusal's detail.
    """
    if not secrets:
        return _RefusingVerifier(setting)
    return EventDeliveryVerifier(secrets)

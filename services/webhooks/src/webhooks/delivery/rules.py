"""Rules of deliveries that need no database: the retry schedule, signatures, readable reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from standardwebhooks.webhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "VAE-Webhooks/1.0 (+https://www.standardwebhooks.com/)"


class ErrorKind(StrEnum):
    """Why an attempt failed."""

    HTTP_STATUS = (
        "HTTP_STATUS"  # answered, but not 2xx (redirects included: never followed)
    )
    TIMEOUT = "TIMEOUT"
    CONNECTION_FAILED = "CONNECTION_FAILED"
    DNS_FAILED = "DNS_FAILED"
    TLS_FAILED = "TLS_FAILED"
    TARGET_NOT_ALLOWED = "TARGET_NOT_ALLOWED"
    INVALID_RESPONSE = "INVALID_RESPONSE"
    SECRET_UNREADABLE = "SECRET_UNREADABLE"  # noqa: S105 - a kind of error, not a secret


def next_wait(failures: int, schedule: Sequence[timedelta]) -> timedelta | None:
    """The wait after the ``failures``-th failed attempt in a row; None once the schedule is spent.

    The first attempt is immediate; with Standard Webhooks' schedule the following ones come
    5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure.
    """
    if failures < 1:
        return timedelta(0)
    return schedule[failures - 1] if failures <= len(schedule) else None


def signature_headers(
    message_id: str, body: bytes, secrets: Sequence[str], at: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers of a body, signed with every secret (space-separated).

    During a rotation both the new and the previous secret sign, so a receiver that still
    holds either one verifies the delivery.
    """
    text = body.decode("utf-8")
    signatures = " ".join(
        Webhook(secret).sign(message_id, at, text) for secret in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def describe(status_code: int | None, detail: str | None) -> str:
    """An attempt's outcome in a few words."""
    if status_code is not None and detail is None:
        return f"HTTP {status_code}"
    return detail or "unknown error"


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def exhausted_reason(
    *,
    now: datetime,
    attempts: int,
    since: datetime,
    event_type: str,
    delivery_id: str,
    last_error: str,
) -> str:
    """Why a subscription was disabled after a delivery's last scheduled attempt failed."""
    hours = (now - since).total_seconds() / 3600
    return (
        f"Disabled on {_at(now)}: delivery {delivery_id} ({event_type}) failed {attempts} "
        f"attempts over {hours:.1f} hours; last error: {last_error}. Fix the endpoint, then set "
        "enabled to true: pending deliveries resume, failed ones can be redelivered."
    )


def gone_reason(*, now: datetime, event_type: str, delivery_id: str) -> str:
    """Why a subscription was disabled after its endpoint answered 410 Gone."""
    return (
        f"Disabled on {_at(now)}: the endpoint answered 410 Gone to delivery {delivery_id} "
        f"({event_type}), which asks to stop sending. Set enabled to true to resume."
    )


def owner_disabled_reason(*, now: datetime, client_id: str) -> str:
    """The reason shown when the owner (or an administrator) disables a subscription."""
    return f"Disabled on {_at(now)} by the API client {client_id}."

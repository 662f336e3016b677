"""The delivery worker: claims due deliveries under a lease, sends them, records the attempts.

Several workers (replicas, or ``webhooks deliver``) share the table: a claim takes due rows
under a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), and an
attempt's result is recorded only while its lease holds, so no attempt is sent twice. The lease
outlasts the attempt's deadline (settings refuse otherwise).

Partners' endpoints never slow the service: attempts run as tasks, at most ``concurrency`` in
flight and ``per_host`` per origin; a claim never takes more than the free slots, and leaves
the saturated origins to the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7

from common import utcnow
from webhooks.crypto import InvalidToken, SecretCipher
from webhooks.delivery.models import DeliveryStatus, WebhookAttempt
from webhooks.delivery.repository import ClaimedDelivery, DeliveryRepository
from webhooks.delivery.rules import (
    CONTENT_TYPE,
    USER_AGENT,
    ErrorKind,
    describe,
    exhausted_reason,
    gone_reason,
    next_wait,
    signature_headers,
)
from webhooks.delivery.sender import AttemptOutcome, Sender
from webhooks.subscription.repository import SubscriptionRepository

logger = structlog.get_logger(__name__)

Clock = Callable[[], datetime]

# When another worker took the rows this one picked, look again soon, a few times (a row
# locked for long by someone else must not make a worker spin).
_CONTENTION_PAUSE = 0.01
_CONTENTION_RETRIES = 20


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    """How a worker paces itself."""

    concurrency: int = 32
    per_host: int = 4
    lease: timedelta = timedelta(seconds=60)
    poll_interval: float = 1.0
    # Waited for attempts in flight when stopping; the rest are cancelled (and retried by
    # whoever claims them once their lease ends).
    shutdown_grace: float = 10.0


class DeliveryWorker:
    """Sends due deliveries through a ``Sender``, following the retry schedule."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: Sender,
        cipher: SecretCipher,
        *,
        schedule: Sequence[timedelta],
        limits: WorkerLimits,
        clock: Clock = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._sender = sender
        self._cipher = cipher
        self._schedule = list(schedule)
        self._limits = limits
        self._clock = clock
        self._in_flight: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.attempts_made = 0

    def wake(self) -> None:
        """Asks the worker to look for due deliveries now (new deliveries were queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers until ``stop`` is set, then lets the attempts in flight finish."""
        try:
            retries = 0
            while not stop.is_set():
                self._wake.clear()
                try:
                    started, contended = await self._fill()
                except Exception:
                    logger.exception("webhook_claim_failed")
                    started, contended = 0, False
                retries = retries + 1 if contended else 0
                if started and self._free() > 0:
                    continue  # more may be due
                if contended and retries <= _CONTENTION_RETRIES:
                    await asyncio.sleep(_CONTENTION_PAUSE)
                    continue
                await _first_of(self._wake, stop, seconds=self._limits.poll_interval)
        finally:
            await self._drain(self._limits.shutdown_grace)

    async def run_once(self) -> int:
        """Sends every delivery due now, waits for the attempts, returns how many were made."""
        before = self.attempts_made
        retries = 0
        while True:
            started, contended = await self._fill()
            retries = retries + 1 if contended else 0
            if started:
                continue
            if contended and retries <= _CONTENTION_RETRIES:
                # Another worker was claiming the same rows: they are leased now, look again.
                await asyncio.sleep(_CONTENTION_PAUSE)
                continue
            if not self._tasks:
                break
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
        return self.attempts_made - before

    def _free(self) -> int:
        return self._limits.concurrency - len(self._tasks)

    async def _fill(self) -> tuple[int, bool]:
        """Claims as many due deliveries as there are free slots and starts their attempts.

        Returns how many started, and whether due deliveries were seen but all taken by
        another worker's claim in the meantime (then it is worth looking again at once).
        """
        free = self._free()
        if free <= 0:
            return 0, False
        saturated = {
            origin
            for origin, count in self._in_flight.items()
            if count >= self._limits.per_host
        }
        now = self._clock()
        async with self._sessionmaker() as db, db.begin():
            repository = DeliveryRepository(db)
            # Read a few more than the free slots, then pick within each origin's slots: a
            # backlog at one endpoint never fills the claim. Locked in a second statement.
            candidates = await repository.due(
                now, limit=free * 4, exclude_origins=saturated
            )
            counts = Counter(self._in_flight)
            picked: list[uuid.UUID] = []
            for delivery_id, origin in candidates:
                if len(picked) >= free:
                    break
                if counts[origin] < self._limits.per_host:
                    counts[origin] += 1
                    picked.append(delivery_id)
            taken = await repository.claim(
                picked,
                now,
                lease_id=uuid7(),
                locked_until=now + self._limits.lease,
            )
        for delivery in taken:
            self._in_flight[delivery.origin] += 1
            task = asyncio.create_task(self._attempt(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(taken), bool(picked) and not taken

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        try:
            outcome = await self._send(delivery)
            await self._record(delivery, outcome)
        except Exception:
            # The lease ends and another claim retries it.
            logger.exception(
                "webhook_attempt_crashed",
                delivery_id=str(delivery.id),
                event_type=delivery.event_type,
            )
        finally:
            self._in_flight[delivery.origin] -= 1
            if self._in_flight[delivery.origin] <= 0:
                del self._in_flight[delivery.origin]
            self._wake.set()

    async def _send(self, delivery: ClaimedDelivery) -> AttemptOutcome:
        started_at = self._clock()
        try:
            secrets = [self._cipher.decrypt(delivery.secret_ciphertext)]
            previous = delivery.previous_secret_ciphertext
            expires = delivery.previous_secret_expires_at
            if previous is not None and expires is not None and expires > started_at:
                secrets.append(self._cipher.decrypt(previous))
        except InvalidToken:
            logger.error(
                "webhook_secret_unreadable",
                subscription_id=str(delivery.subscription_id),
            )
            return AttemptOutcome(
                started_at=started_at,
                duration_ms=0,
                error_kind=ErrorKind.SECRET_UNREADABLE,
                error_detail="the platform cannot read this subscription's secret; rotate it",
            )
        body = orjson.dumps(delivery.document)
        # Signed at the wall-clock time: receivers compare it with their own clocks, whatever
        # clock offset this process runs with.
        headers = {
            "content-type": CONTENT_TYPE,
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",
            **signature_headers(delivery.event_id, body, secrets, utcnow()),
        }
        return await self._sender.post(
            delivery.url, body, headers, started_at=started_at
        )

    async def _record(self, delivery: ClaimedDelivery, outcome: AttemptOutcome) -> None:
        now = self._clock()
        values: dict[str, object] = {
            "attempt_count": delivery.attempt_number,
            "last_attempt_at": outcome.started_at,
            "last_status_code": outcome.status_code,
            "last_error_kind": outcome.error_kind,
            "updated_at": now,
        }
        disable_reason: str | None = None
        if outcome.succeeded:
            values |= {
                "status": DeliveryStatus.DELIVERED,
                "delivered_at": now,
                "next_attempt_at": None,
            }
        elif outcome.status_code == 410:
            values |= {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
            disable_reason = gone_reason(
                now=now, event_type=delivery.event_type, delivery_id=str(delivery.id)
            )
        else:
            failures = delivery.failures + 1
            wait = next_wait(failures, self._schedule)
            if wait is None:
                values |= {
                    "status": DeliveryStatus.FAILED,
                    "failures": failures,
                    "next_attempt_at": None,
                }
                disable_reason = exhausted_reason(
                    now=now,
                    attempts=failures,
                    since=delivery.queued_at,
                    event_type=delivery.event_type,
                    delivery_id=str(delivery.id),
                    last_error=describe(outcome.status_code, outcome.error_detail),
                )
            else:
                values |= {"failures": failures, "next_attempt_at": now + wait}
        async with self._sessionmaker() as db, db.begin():
            repository = DeliveryRepository(db)
            if not await repository.finish_attempt(
                delivery.id, delivery.lease_id, **values
            ):
                # The lease ended (or the subscription was deleted): another claim owns it.
                logger.warning("webhook_lease_lost", delivery_id=str(delivery.id))
                return
            repository.add_attempt(
                WebhookAttempt(
                    id=uuid7(),
                    delivery_id=delivery.id,
                    number=delivery.attempt_number,
                    started_at=outcome.started_at,
                    duration_ms=outcome.duration_ms,
                    succeeded=outcome.succeeded,
                    status_code=outcome.status_code,
                    error_kind=outcome.error_kind,
                    error_detail=outcome.error_detail,
                    response_excerpt=outcome.response_excerpt,
                )
            )
            if disable_reason is not None:
                await SubscriptionRepository(db).disable(
                    delivery.subscription_id, disable_reason, now
                )
        self.attempts_made += 1
        # Ids, types and outcomes only: never the URL, the body or the answer.
        logger.info(
            "webhook_attempt",
            delivery_id=str(delivery.id),
            subscription_id=str(delivery.subscription_id),
            event_type=delivery.event_type,
            attempt=delivery.attempt_number,
            status_code=outcome.status_code,
            error_kind=outcome.error_kind,
            duration_ms=outcome.duration_ms,
        )
        if disable_reason is not None:
            logger.warning(
                "webhook_subscription_disabled",
                subscription_id=str(delivery.subscription_id),
                delivery_id=str(delivery.id),
            )

    async def _drain(self, grace: float) -> None:
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def _first_of(
    wake: asyncio.Event, stop: asyncio.Event, *, seconds: float
) -> None:
    """Waits until either event is set, or for ``seconds``."""
    waiters = {
        asyncio.create_task(wake.wait()),
        asyncio.create_task(stop.wait()),
    }
    try:
        await asyncio.wait(
            waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)

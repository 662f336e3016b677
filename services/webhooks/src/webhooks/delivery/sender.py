"""One POST to a partner's endpoint, which must never slow or break the service.

Every attempt is bounded: a total deadline (connection to last byte read), the answer read up
to a cap and the connection then dropped, no redirect followed, no cookie kept, no proxy from
the environment, no decompression (a small gzip answer cannot expand in memory), and every
address checked by the target policy at connection time (``GuardedResolver``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from aiohttp.abc import AbstractResolver

from webhooks.delivery.rules import ErrorKind
from webhooks.targets import (
    GuardedResolver,
    TargetPolicy,
    TargetRefusedError,
    check_literal_address,
)

EXCERPT_BYTES = 1024
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one POST gave."""

    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    response_excerpt: str | None = None

    @property
    def succeeded(self) -> bool:
        """A 2xx answer: delivered."""
        return self.error_kind is None and self.status_code is not None


@dataclass(frozen=True, slots=True)
class SenderLimits:
    """How much one process may spend on partners' endpoints."""

    timeout_seconds: float = 10.0
    max_response_bytes: int = 64 * 1024
    concurrency: int = 32
    concurrency_per_host: int = 4


class Sender:
    """POSTs signed deliveries through one pooled aiohttp session."""

    def __init__(
        self,
        policy: TargetPolicy,
        limits: SenderLimits,
        *,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._policy = policy
        self._limits = limits
        self._inner_resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Opens the connection pool (in the running loop)."""
        connector = aiohttp.TCPConnector(
            limit=self._limits.concurrency,
            limit_per_host=self._limits.concurrency_per_host,
            resolver=GuardedResolver(self._policy, self._inner_resolver),
            ttl_dns_cache=10,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self._limits.timeout_seconds),
            auto_decompress=False,
            trust_env=False,
            raise_for_status=False,
        )

    async def close(self) -> None:
        """Closes the pool and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], *, started_at: datetime
    ) -> AttemptOutcome:
        """POSTs a body and tells what happened; never raises for the endpoint's faults."""
        assert self._session is not None, "call start() first"
        timeout = self._limits.timeout_seconds
        began = time.perf_counter()

        def outcome(
            kind: ErrorKind | None,
            detail: str | None,
            status: int | None = None,
            excerpt: str | None = None,
        ) -> AttemptOutcome:
            return AttemptOutcome(
                started_at=started_at,
                duration_ms=round((time.perf_counter() - began) * 1000),
                status_code=status,
                error_kind=kind,
                error_detail=detail,
                response_excerpt=excerpt,
            )

        try:
            check_literal_address(self._policy, self._policy.parse(url))
            # aiohttp's own timeout does not bound every read of a trickling answer; this does.
            async with (
                asyncio.timeout(timeout),
                self._session.post(
                    url, data=body, headers=headers, allow_redirects=False
                ) as response,
            ):
                excerpt, truncated = await _read_capped(
                    response, self._limits.max_response_bytes
                )
                if truncated:
                    # Drop the connection rather than read (or keep alive) the rest.
                    response.close()
                status = response.status
        except TargetRefusedError as error:
            return outcome(ErrorKind.TARGET_NOT_ALLOWED, str(error))
        except TimeoutError:
            return outcome(
                ErrorKind.TIMEOUT, f"no complete answer within {timeout:g} seconds"
            )
        except aiohttp.ClientConnectorDNSError as error:
            if isinstance(error.os_error, TargetRefusedError):
                return outcome(ErrorKind.TARGET_NOT_ALLOWED, str(error.os_error))
            return outcome(ErrorKind.DNS_FAILED, "the host name does not resolve")
        except aiohttp.ClientSSLError:
            return outcome(
                ErrorKind.TLS_FAILED,
                "the TLS handshake or the certificate verification failed",
            )
        except aiohttp.ClientConnectorError as error:
            reason = error.os_error.strerror or type(error.os_error).__name__
            return outcome(
                ErrorKind.CONNECTION_FAILED, f"could not connect: {reason.lower()}"
            )
        except (aiohttp.ClientResponseError, aiohttp.ClientPayloadError):
            return outcome(
                ErrorKind.INVALID_RESPONSE, "the answer is not valid HTTP/1.1"
            )
        except aiohttp.ServerDisconnectedError:
            return outcome(
                ErrorKind.INVALID_RESPONSE,
                "the endpoint closed the connection before answering",
            )
        except (aiohttp.ClientError, OSError) as error:
            return outcome(
                ErrorKind.CONNECTION_FAILED,
                f"the connection failed ({type(error).__name__})",
            )
        if 200 <= status < 300:
            return outcome(None, None, status, excerpt)
        detail = f"answered HTTP {status}"
        if 300 <= status < 400:
            detail += "; redirects are not followed: subscribe the final URL"
        return outcome(ErrorKind.HTTP_STATUS, detail, status, excerpt)


async def _read_capped(
    response: aiohttp.ClientResponse, cap: int
) -> tuple[str | None, bool]:
    """Reads an answer up to ``cap`` bytes; returns its first KiB as text and whether it was cut."""
    head = bytearray()
    received = 0
    while True:
        chunk = await response.content.read(min(_READ_CHUNK, cap + 1 - received))
        if not chunk:
            break
        if len(head) < EXCERPT_BYTES:
            head += chunk[: EXCERPT_BYTES - len(head)]
        received += len(chunk)
        if received > cap:
            return head.decode("utf-8", errors="replace"), True
    return (head.decode("utf-8", errors="replace") if head else None), False

"""Where deliveries may go: https URLs without credentials, to globally routable addresses.

Checked twice: when a subscription is created or its URL changes (the name is resolved, every
address must pass), and at every connection, by ``GuardedResolver`` around aiohttp's resolver,
so that a name that later resolves to a private address (DNS rebinding) is never reached.
Addresses inside the operator's ``allowed_networks`` pass too (local runs, internal partners).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from webhooks.errors import TargetNotAllowedError

# Resolves a host name to its addresses (as text); the system resolver by default.
HostResolver = Callable[[str, int], Awaitable[list[str]]]

RESOLVE_TIMEOUT_SECONDS = 5.0
_DEFAULT_PORTS = {"https": 443, "http": 80}


class TargetRefusedError(OSError):
    """A delivery target the policy refuses; an OSError so that aiohttp keeps it as the cause
    of its connection error (see ``delivery/sender.py``)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL's parts."""

    scheme: str
    host: str
    port: int

    @property
    def origin(self) -> str:
        """scheme://host:port, the unit of per-host concurrency."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The operator's rules on delivery targets."""

    allow_http: bool = False
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()

    def parse(self, url: str) -> Target:
        """Checks a URL's form (scheme, credentials, host, port) and returns its parts.

        Raises
        ------
        TargetRefusedError
            The URL is malformed or not allowed; the message says why.
        """
        try:
            parts: SplitResult = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise TargetRefusedError(
                "the URL is malformed (check the host and port)"
            ) from error
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise TargetRefusedError(
                "webhook URLs must use https"
                if not self.allow_http
                else "webhook URLs use https or http"
            )
        if (
            parts.username is not None
            or parts.password is not None
            or "@" in (parts.netloc)
        ):
            raise TargetRefusedError(
                "the URL carries credentials (user-info before @): remove them and check the "
                "webhook-signature header instead"
            )
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise TargetRefusedError("the URL has no host")
        return Target(parts.scheme, host, port or _DEFAULT_PORTS[parts.scheme])

    def address_allowed(self, address: str) -> bool:
        """Tells whether a connection to this IP address is allowed."""
        try:
            ip = ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed_networks):
            return True
        return ip.is_global and not ip.is_multicast

    def refuse_addresses(self, host: str, addresses: Sequence[str]) -> None:
        """Raises unless every address of a host is allowed (one bad address is enough).

        Raises
        ------
        TargetRefusedError
            No address, or one of them is not globally routable nor in an allowed network.
        """
        if not addresses:
            raise TargetRefusedError(f"the host {host} has no address")
        refused = sorted({a for a in addresses if not self.address_allowed(a)})
        if refused:
            raise TargetRefusedError(
                f"the host {host} resolves to {', '.join(refused)}, which is not a public "
                "address: webhooks go only to globally routable addresses"
            )


def _is_ip_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


async def system_resolve(host: str, port: int) -> list[str]:
    """Resolves a host name with the system's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    return [str(info[4][0]) for info in infos]


async def check_target(url: str, policy: TargetPolicy, resolve: HostResolver) -> Target:
    """Checks a subscription's URL now: its form, then every address its host resolves to.

    Raises
    ------
    TargetNotAllowedError
        The URL is malformed, not https, carries credentials, does not resolve, or resolves
        to an address that is not allowed.
    """
    try:
        target = policy.parse(url)
        if _is_ip_literal(target.host):
            addresses = [target.host]
        else:
            try:
                async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                    addresses = await resolve(target.host, target.port)
            except (OSError, TimeoutError) as error:
                raise TargetRefusedError(
                    f"the host {target.host} does not resolve; check the URL, or create the "
                    "subscription once the name exists"
                ) from error
        policy.refuse_addresses(target.host, addresses)
    except TargetRefusedError as error:
        raise TargetNotAllowedError(
            f"This webhook URL cannot be used: {error}. Give an https URL of your own "
            "endpoint on the public Internet."
        ) from error
    return target


def check_literal_address(policy: TargetPolicy, target: Target) -> None:
    """Refuses a URL whose host is an IP address not allowed (aiohttp does not resolve those).

    Raises
    ------
    TargetRefusedError
        The address is not allowed.
    """
    if _is_ip_literal(target.host):
        policy.refuse_addresses(target.host, [target.host])


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing any host with an address the policy does not allow.

    Every connection aiohttp opens to a host name goes through ``resolve``; the addresses it
    returns are the only ones aiohttp connects to. A name that once resolved to a public
    address and now resolves to a private one (DNS rebinding) is refused here.
    """

    def __init__(
        self, policy: TargetPolicy, inner: AbstractResolver | None = None
    ) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        self._policy.refuse_addresses(host, [result["host"] for result in results])
        return results

    async def close(self) -> None:
        await self._inner.close()

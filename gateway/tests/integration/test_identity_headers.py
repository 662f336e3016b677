"""What the services receive through the gateway: no forged identity, one signed token, clean headers.

A real gateway process routes ``/v1/echo/…`` to a real echo process, which answers the headers it
received; the tests compare them with what the caller sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from gateway_processes import EchoProcess, Keys, RunningGateway

from common import (
    InternalTokenVerifier,
    Principal,
    Role,
    generate_signing_keys,
    mint_internal_token,
)

pytestmark = pytest.mark.asyncio

FORGED_IDENTITY = {
    "X-Principal-Role": "admin",
    "X-Principal-Id": "root",
    "X-User-Id": "42",
    "X-User-Role": "admin",
    "X-Forwarded-User": "alice",
    "X-Remote-User": "alice",
    "Remote-User": "alice",
    "X-Organisation-Id": "org-evil",
    "X-Organization-Id": "org-evil",
    "X-Client-Id": "client-evil",
    "X-Role": "admin",
    "X-Internal-Token": "forged",
    "X-Auth-Request-User": "alice",
    "X-Api-Key": "vae_forged",
    "X-Real-IP": "6.6.6.6",
    "Forwarded": "for=6.6.6.6;proto=https",
    "X-Forwarded-Host": "evil.example",
    "Cookie": "session=forged",
}
HOP_BY_HOP_REQUEST = {
    "Connection": "x-foo, x-baz",
    "X-Foo": "named by connection",
    "X-Baz": "named by connection",
    "Keep-Alive": "timeout=5",
    "TE": "trailers",
    "Trailer": "x-checksum",
    "Upgrade": "h2c",
    "Proxy-Authorization": "Basic Zm9yZ2VkOmZvcmdlZA==",
}
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def names(echoed: dict[str, Any]) -> list[str]:
    """The header names the echo received, in order."""
    return [name for name, _ in echoed["headers"]]


def values(echoed: dict[str, Any], name: str) -> list[str]:
    """Every value the echo received for one header."""
    return [value for key, value in echoed["headers"] if key == name]


@pytest_asyncio.fixture
async def client(echo_gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=echo_gateway.url) as client:
        yield client


@pytest.fixture(scope="module")
def verifier(keys: Keys) -> InternalTokenVerifier:
    """Verifies internal tokens as the services do, with the test session's public key."""
    return InternalTokenVerifier(
        keys.public_file.read_text(),
        algorithm="EdDSA",
        audience="vae-services",
        issuer="vae-gateway",
    )


class TestForgedIdentityHeaders:
    async def test_never_reach_the_service_with_an_api_key(
        self, echo_gateway: RunningGateway, client: httpx.AsyncClient
    ) -> None:
        key = await echo_gateway.client_key(Role.PARTNER, "org-7")
        response = await client.get(
            "/v1/echo/me",
            headers={**FORGED_IDENTITY, "Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200
        echoed = response.json()
        assert set(names(echoed)).isdisjoint(name.lower() for name in FORGED_IDENTITY)
        assert values(echoed, "x-forwarded-for") == ["127.0.0.1"]

    async def test_never_reach_the_service_anonymously(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/echo/me", headers=FORGED_IDENTITY)
        assert response.status_code == 200
        echoed = response.json()
        assert set(names(echoed)).isdisjoint(name.lower() for name in FORGED_IDENTITY)
        assert "authorization" not in names(echoed)

    async def test_a_forged_internal_token_is_refused_before_the_service(
        self, client: httpx.AsyncClient, echo: EchoProcess
    ) -> None:
        other_private_key, _ = generate_signing_keys()
        forged = mint_internal_token(
            other_private_key,
            Principal("root", Role.ADMIN),
            ttl=timedelta(minutes=5),
        )
        seen = await echo.seen()
        for path in ("/v1/echo/me", "/v1/certifications"):
            response = await client.get(
                path, headers={"Authorization": f"Bearer {forged}"}
            )
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert await echo.seen() == seen


class TestInternalToken:
    async def test_the_service_sees_exactly_one_token_naming_the_caller(
        self,
        echo_gateway: RunningGateway,
        client: httpx.AsyncClient,
        verifier: InternalTokenVerifier,
    ) -> None:
        key = await echo_gateway.client_key(Role.CERTIFIER, "certifier-9")
        response = await client.get(
            "/v1/echo/me", headers={"Authorization": f"Bearer {key}"}
        )
        tokens = values(response.json(), "authorization")
        assert len(tokens) == 1 and tokens[0].startswith("Bearer ")
        principal = verifier.verify(tokens[0].removeprefix("Bearer "))
        assert (principal.role, principal.organisation_id) == (
            Role.CERTIFIER,
            "certifier-9",
        )
        assert key not in str(response.json())

    async def test_each_caller_gets_its_own_token(
        self,
        echo_gateway: RunningGateway,
        client: httpx.AsyncClient,
        verifier: InternalTokenVerifier,
    ) -> None:
        partner = await echo_gateway.client_key(Role.PARTNER, "org-a")
        centre = await echo_gateway.client_key(Role.EXAM_CENTRE, "centre-b")
        seen: list[tuple[Role, str | None]] = []
        for key in (partner, centre, partner):
            response = await client.get(
                "/v1/echo/me", headers={"Authorization": f"Bearer {key}"}
            )
            (token,) = values(response.json(), "authorization")
            principal = verifier.verify(token.removeprefix("Bearer "))
            seen.append((principal.role, principal.organisation_id))
        assert seen == [
            (Role.PARTNER, "org-a"),
            (Role.EXAM_CENTRE, "centre-b"),
            (Role.PARTNER, "org-a"),
        ]


class TestRelayedAsSent:
    async def test_the_path_reaches_the_service_as_the_caller_encoded_it(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/echo/a%2Fb%20c/%2E%2E/d?q=%C3%A9&r=1")
        echoed = response.json()
        assert echoed["raw_path"] == "/v1/echo/a%2Fb%20c/%2E%2E/d"
        assert echoed["query"] == "q=%C3%A9&r=1"

    async def test_cookies_an_upstream_sets_go_to_the_caller_and_no_further(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await client.get("/v1/echo/me", headers={"X-Echo-Set-Cookie": "1"})
        assert first.headers["set-cookie"] == "upstream-session=secret; Path=/"
        client.cookies.clear()
        second = await client.get("/v1/echo/me")
        assert "cookie" not in names(second.json())


class TestHopByHopHeaders:
    async def test_are_stripped_on_the_way_in(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/v1/echo/me", headers={**HOP_BY_HOP_REQUEST, "X-Kept": "end-to-end"}
        )
        echoed = response.json()
        received = set(names(echoed))
        assert received.isdisjoint(name.lower() for name in HOP_BY_HOP_REQUEST)
        assert values(echoed, "x-kept") == ["end-to-end"]

    async def test_are_stripped_on_the_way_out(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/echo/me", headers={"X-Echo-Hop-By-Hop": "1"})
        assert response.status_code == 200
        assert response.headers["x-echo-kept"] == "end-to-end"
        for name in ("x-bar", "keep-alive", "proxy-authenticate", "upgrade"):
            assert name not in response.headers
        assert response.headers.get("connection", "keep-alive") == "keep-alive"

    async def test_repeated_end_to_end_headers_all_reach_the_service(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/v1/echo/me", headers=[("X-Tag", "one"), ("X-Tag", "two")]
        )
        assert values(response.json(), "x-tag") == ["one", "two"]


class TestRequestId:
    async def test_is_propagated_when_given(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/v1/echo/me", headers={"X-Request-ID": "caller-request-0001"}
        )
        assert values(response.json(), "x-request-id") == ["caller-request-0001"]
        assert response.headers.get_list("x-request-id") == ["caller-request-0001"]

    async def test_is_generated_when_absent_or_unsafe(
        self, client: httpx.AsyncClient
    ) -> None:
        for headers in ({}, {"X-Request-ID": "bad id\twith spaces"}):
            response = await client.get("/v1/echo/me", headers=headers)
            (generated,) = response.headers.get_list("x-request-id")
            assert re.fullmatch(r"[0-9a-f]{32}", generated)
            assert values(response.json(), "x-request-id") == [generated]


class TestTraceparent:
    async def test_keeps_the_callers_trace_with_a_new_parent(
        self, client: httpx.AsyncClient
    ) -> None:
        trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        response = await client.get(
            "/v1/echo/me", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}
        )
        (forwarded,) = values(response.json(), "traceparent")
        match = TRACEPARENT.match(forwarded)
        assert match is not None
        assert (match.group(1), match.group(3)) == (trace_id, "01")
        assert match.group(2) != parent_id

    async def test_is_generated_when_absent_or_malformed(
        self, client: httpx.AsyncClient
    ) -> None:
        trace_ids = set()
        for headers in ({}, {"traceparent": "not-a-trace"}, {}):
            response = await client.get("/v1/echo/me", headers=headers)
            (forwarded,) = values(response.json(), "traceparent")
            match = TRACEPARENT.match(forwarded)
            assert match is not None and match.group(1) != "0" * 32
            trace_ids.add(match.group(1))
        assert len(trace_ids) == 3

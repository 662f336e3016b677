"""Internal tokens: minted by the gateway, verified by every service, turned into principals."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import orjson
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI

from common import (
    AuthenticationError,
    CurrentPrincipal,
    InternalTokenVerifier,
    OptionalPrincipal,
    Principal,
    Role,
    generate_signing_keys,
    install_error_handlers,
    mint_internal_token,
    require_roles,
)

AUDIENCE = "vae-services"
ISSUER = "vae-gateway"

PARTNER = Principal(
    client_id="carif-oref-idf",
    role=Role.PARTNER,
    organisation_id="0b6f2c1e-partner",
    scopes=frozenset({"candidacies:read", "candidacies:write"}),
)
ADMIN = Principal(client_id="ops", role=Role.ADMIN)


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    """The gateway's (private PEM, public PEM) pair."""
    return generate_signing_keys()


@pytest.fixture
def private_key(keys: tuple[str, str]) -> str:
    return keys[0]


@pytest.fixture
def public_key(keys: tuple[str, str]) -> str:
    return keys[1]


@pytest.fixture
def verifier(public_key: str) -> InternalTokenVerifier:
    return InternalTokenVerifier(
        public_key, algorithm="EdDSA", audience=AUDIENCE, issuer=ISSUER
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forged_token(header: dict[str, Any], secret: bytes | None) -> str:
    """A token with valid claims, signed by hand (PyJWT refuses to forge these)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "intruder",
        "role": "admin",
        "iat": now,
        "exp": now + 60,
    }
    signing_input = f"{b64url(orjson.dumps(header))}.{b64url(orjson.dumps(claims))}"
    signature = (
        b""
        if secret is None
        else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{b64url(signature)}"


def assert_rejected(verifier: InternalTokenVerifier, token: str) -> None:
    with pytest.raises(AuthenticationError) as raised:
        verifier.verify(token)

    assert raised.value.status_code == 401
    assert raised.value.code == "UNAUTHENTICATED"
    assert raised.value.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class TestGenerateSigningKeys:
    def test_returns_an_ed25519_pem_pair(self) -> None:
        private_pem, public_pem = generate_signing_keys()

        assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
        assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")

    def test_returns_a_new_pair_each_time(self) -> None:
        assert generate_signing_keys() != generate_signing_keys()


class TestMintInternalToken:
    def test_signs_with_eddsa_and_a_short_expiry(self, private_key: str) -> None:
        token = mint_internal_token(private_key, PARTNER)

        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        assert header["alg"] == "EdDSA"
        assert claims["iss"] == ISSUER
        assert claims["aud"] == AUDIENCE
        assert claims["exp"] - claims["iat"] == 60
        assert claims["jti"]

    def test_gives_each_token_its_own_id(self, private_key: str) -> None:
        first = jwt.decode(
            mint_internal_token(private_key, PARTNER),
            options={"verify_signature": False},
        )
        second = jwt.decode(
            mint_internal_token(private_key, PARTNER),
            options={"verify_signature": False},
        )

        assert first["jti"] != second["jti"]


class TestInternalTokenVerifierVerify:
    def test_returns_the_principal_of_a_minted_token(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        principal = verifier.verify(mint_internal_token(private_key, PARTNER))

        assert principal == PARTNER

    def test_returns_no_organisation_for_an_admin(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        principal = verifier.verify(mint_internal_token(private_key, ADMIN))

        assert principal.role is Role.ADMIN
        assert principal.organisation_id is None
        assert principal.scopes == frozenset()

    def test_rejects_an_expired_token(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        token = mint_internal_token(private_key, PARTNER, ttl=timedelta(seconds=-30))

        assert_rejected(verifier, token)

    def test_tolerates_clock_skew_within_the_leeway(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        token = mint_internal_token(private_key, PARTNER, ttl=timedelta(seconds=-2))

        assert verifier.verify(token) == PARTNER

    def test_rejects_a_token_for_another_audience(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        token = mint_internal_token(private_key, PARTNER, audience="vae-webhooks")

        assert_rejected(verifier, token)

    def test_rejects_a_token_from_another_issuer(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        token = mint_internal_token(private_key, PARTNER, issuer="someone-else")

        assert_rejected(verifier, token)

    def test_rejects_a_token_signed_by_another_key(
        self, verifier: InternalTokenVerifier
    ) -> None:
        other_private_key, _ = generate_signing_keys()

        assert_rejected(verifier, mint_internal_token(other_private_key, ADMIN))

    def test_rejects_an_unsigned_token(self, verifier: InternalTokenVerifier) -> None:
        token = forged_token({"alg": "none", "typ": "JWT"}, secret=None)

        assert_rejected(verifier, token)

    def test_rejects_an_hs256_token_keyed_with_the_public_key(
        self, public_key: str, verifier: InternalTokenVerifier
    ) -> None:
        # The algorithm-confusion attack: the public key is no secret.
        token = forged_token({"alg": "HS256", "typ": "JWT"}, public_key.encode())

        assert_rejected(verifier, token)

    def test_rejects_an_unknown_role(
        self, private_key: str, verifier: InternalTokenVerifier
    ) -> None:
        now = int(time.time())
        token = jwt.encode(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "x",
                "role": "superuser",
                "iat": now,
                "exp": now + 60,
            },
            private_key,
            algorithm="EdDSA",
        )

        assert_rejected(verifier, token)

    @pytest.mark.parametrize("missing", ["exp", "iat", "sub", "aud", "iss", "role"])
    def test_rejects_a_token_missing_a_required_claim(
        self, private_key: str, verifier: InternalTokenVerifier, missing: str
    ) -> None:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "x",
            "role": "admin",
            "iat": now,
            "exp": now + 60,
        }
        del claims[missing]

        token = jwt.encode(claims, private_key, algorithm="EdDSA")

        assert_rejected(verifier, token)

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x.y.z"])
    def test_rejects_a_malformed_token(
        self, verifier: InternalTokenVerifier, token: str
    ) -> None:
        assert_rejected(verifier, token)

    def test_refuses_every_token_without_a_configured_key(
        self, private_key: str
    ) -> None:
        verifier = InternalTokenVerifier(
            None, algorithm="EdDSA", audience=AUDIENCE, issuer=ISSUER
        )

        with pytest.raises(
            AuthenticationError, match="no internal-token key"
        ) as raised:
            verifier.verify(mint_internal_token(private_key, ADMIN))

        assert raised.value.status_code == 401
        # Every 401 names the scheme (RFC 9110), this one included.
        assert raised.value.headers == {"WWW-Authenticate": "Bearer"}


def build_app(verifier: InternalTokenVerifier) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/v1/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "client_id": principal.client_id,
            "role": principal.role.value,
            "organisation_id": principal.organisation_id,
            "scopes": sorted(principal.scopes),
        }

    @app.get("/v1/catalog")
    async def catalog(principal: OptionalPrincipal) -> dict[str, str | None]:
        return {"client_id": principal.client_id if principal else None}

    @app.post(
        "/v1/imports",
        status_code=202,
        dependencies=[Depends(require_roles(Role.ADMIN, Role.CERTIFIER))],
    )
    async def start_import() -> dict[str, str]:
        return {"status": "accepted"}

    return app


@pytest_asyncio.fixture
async def client(
    verifier: InternalTokenVerifier,
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestCurrentPrincipal:
    @pytest.mark.asyncio
    async def test_gives_the_endpoint_the_caller(
        self, client: httpx.AsyncClient, private_key: str
    ) -> None:
        response = await client.get(
            "/v1/me", headers=bearer(mint_internal_token(private_key, PARTNER))
        )

        assert response.status_code == 200
        assert response.json() == {
            "client_id": "carif-oref-idf",
            "role": "partner",
            "organisation_id": "0b6f2c1e-partner",
            "scopes": ["candidacies:read", "candidacies:write"],
        }

    @pytest.mark.asyncio
    async def test_answers_401_with_www_authenticate_without_a_bearer(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/me")

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "UNAUTHENTICATED"

    @pytest.mark.asyncio
    async def test_answers_401_for_another_scheme(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/v1/me", headers={"Authorization": "Basic b3BzOnNlY3JldA=="}
        )

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.asyncio
    async def test_answers_401_invalid_token_for_a_bad_token(
        self, client: httpx.AsyncClient
    ) -> None:
        other_private_key, _ = generate_signing_keys()

        response = await client.get(
            "/v1/me", headers=bearer(mint_internal_token(other_private_key, ADMIN))
        )

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json()["code"] == "UNAUTHENTICATED"


class TestOptionalPrincipal:
    @pytest.mark.asyncio
    async def test_is_none_for_an_anonymous_caller(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/catalog")

        assert response.status_code == 200
        assert response.json() == {"client_id": None}

    @pytest.mark.asyncio
    async def test_is_the_caller_when_a_bearer_is_sent(
        self, client: httpx.AsyncClient, private_key: str
    ) -> None:
        response = await client.get(
            "/v1/catalog", headers=bearer(mint_internal_token(private_key, PARTNER))
        )

        assert response.json() == {"client_id": "carif-oref-idf"}

    @pytest.mark.asyncio
    async def test_still_rejects_an_invalid_bearer(
        self, client: httpx.AsyncClient
    ) -> None:
        # A wrong token is an error, never a silent downgrade to anonymous.
        response = await client.get("/v1/catalog", headers=bearer("garbage"))

        assert response.status_code == 401


class TestRequireRoles:
    @pytest.mark.asyncio
    async def test_admits_an_allowed_role(
        self, client: httpx.AsyncClient, private_key: str
    ) -> None:
        response = await client.post(
            "/v1/imports", headers=bearer(mint_internal_token(private_key, ADMIN))
        )

        assert response.status_code == 202

    @pytest.mark.asyncio
    async def test_answers_403_problem_for_another_role(
        self, client: httpx.AsyncClient, private_key: str
    ) -> None:
        response = await client.post(
            "/v1/imports", headers=bearer(mint_internal_token(private_key, PARTNER))
        )

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "FORBIDDEN"
        assert body["detail"] == (
            "The role partner may not do this; it needs: admin, certifier."
        )

    @pytest.mark.asyncio
    async def test_answers_401_before_checking_roles_without_a_bearer(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/v1/imports")

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

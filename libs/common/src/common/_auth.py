"""Internal identity: the gateway's short-lived signed token, verified by every service."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from common._db import utcnow
from common._errors import AuthenticationError, PermissionDeniedError


class Role(StrEnum):
    """Who a caller is; each role but admin is bound to one organisation."""

    ADMIN = "admin"
    CERTIFIER = "certifier"
    EXAM_CENTRE = "exam_centre"
    PARTNER = "partner"


_Guard = TypeVar("_Guard", bound=Callable[..., Any])
# Every dependency that admits only some roles, and those roles: OpenAPI documents operations
# from it (see ``document_roles``), so what the docs say is what the code enforces.
_ROLE_GUARDS: weakref.WeakKeyDictionary[Callable[..., Any], frozenset[Role]] = (
    weakref.WeakKeyDictionary()
)


def admits_roles(*roles: Role) -> Callable[[_Guard], _Guard]:
    """Marks a dependency as refusing every role but these (``require_roles`` does it for its
    own; a hand-written check, such as the gateway's, uses this decorator)."""
    allowed = frozenset(roles)

    def mark(guard: _Guard) -> _Guard:
        _ROLE_GUARDS[guard] = allowed
        return guard

    return mark


def roles_admitted_by(dependency: Callable[..., Any]) -> frozenset[Role] | None:
    """The roles a dependency admits, or None when it is no role guard."""
    return _ROLE_GUARDS.get(dependency)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller named by the internal token."""

    client_id: str
    role: Role
    organisation_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)


class InternalTokenVerifier:
    """Checks an internal token's signature, algorithm, audience, issuer and expiry."""

    def __init__(
        self,
        public_key: str | None,
        *,
        algorithm: str,
        audience: str,
        issuer: str,
        leeway: int = 5,
    ) -> None:
        self._key = public_key
        self._algorithm = algorithm
        self._audience = audience
        self._issuer = issuer
        self._leeway = leeway

    def verify(self, token: str) -> Principal:
        """Returns the principal of a valid token.

        Raises
        ------
        AuthenticationError
            The token is missing a claim, expired, or not signed by the gateway's key.
        """
        if self._key is None:
            raise AuthenticationError(
                "This service has no internal-token key configured, so it accepts no authenticated call.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "role"]},
            )
            role = Role(claims["role"])
        except (jwt.PyJWTError, ValueError) as error:
            raise AuthenticationError(
                "The bearer token is invalid or expired: call through the gateway with a valid API key.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from error
        org = claims.get("org")
        return Principal(
            client_id=str(claims["sub"]),
            role=role,
            organisation_id=str(org) if org is not None else None,
            scopes=frozenset(claims.get("scopes", [])),
        )


def mint_internal_token(
    private_key_pem: str,
    principal: Principal,
    *,
    audience: str = "vae-services",
    issuer: str = "vae-gateway",
    ttl: timedelta = timedelta(seconds=60),
    algorithm: str = "EdDSA",
) -> str:
    """Signs an internal token naming a principal (the gateway's job; tests and dev tools use it too)."""
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.client_id,
        "role": principal.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
        "scopes": sorted(principal.scopes),
    }
    if principal.organisation_id is not None:
        claims["org"] = principal.organisation_id
    return jwt.encode(claims, private_key_pem, algorithm=algorithm)


def generate_signing_keys() -> tuple[str, str]:
    """Returns a new Ed25519 (private PEM, public PEM) pair for internal tokens."""
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    return private_pem, public_pem


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="internalToken",
    description="Internal token issued by the gateway (services are reached through the gateway).",
)


async def _optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    verifier: InternalTokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


async def _current_principal(
    principal: Annotated[Principal | None, Depends(_optional_principal)],
) -> Principal:
    if principal is None:
        raise AuthenticationError(
            "This operation needs authentication: send an Authorization: Bearer header.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Builds a dependency that admits only the given roles."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(role.value for role in allowed))

    @admits_roles(*allowed)
    async def _require(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise PermissionDeniedError(
                f"The role {principal.role.value} may not do this; it needs: {names}."
            )
        return principal

    return _require


def require_bound_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Builds a dependency that admits the given roles, each but admin bound to an organisation."""
    require = require_roles(*roles)

    # A default, not Annotated: postponed annotations cannot name this closure's `require`.
    @admits_roles(*roles)
    async def _check(principal: Principal = Depends(require)) -> Principal:
        if principal.role is not Role.ADMIN and not principal.organisation_id:
            raise PermissionDeniedError(
                f"This {principal.role.value} API client is bound to no organisation: ask an administrator to bind it."
            )
        return principal

    return _check

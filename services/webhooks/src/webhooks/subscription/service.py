"""Use cases of subscriptions: create, read, change, delete, rotate the secret."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from uuid6 import uuid7

from common import (
    Principal,
    Role,
    cursor_position,
    generate_event_signing_secret,
    keyset_page,
)
from webhooks.access import Owner, refused_types
from webhooks.crypto import SecretCipher
from webhooks.delivery.rules import owner_disabled_reason
from webhooks.errors import (
    EventTypesNotAllowedError,
    SubscriptionNotFoundError,
    SubscriptionVersionMismatchError,
    UnknownEventTypesError,
)
from webhooks.event_types import EVENT_TYPES
from webhooks.subscription.models import WebhookSubscription
from webhooks.subscription.repository import SubscriptionRepository
from webhooks.subscription.schemas import (
    OwnerRead,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from webhooks.targets import HostResolver, TargetPolicy, check_target


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """How a subscription's URL is checked: the operator's policy and a resolver."""

    policy: TargetPolicy
    resolve: HostResolver


def to_read(subscription: WebhookSubscription) -> SubscriptionRead:
    """The representation of a subscription (never its secrets)."""
    return SubscriptionRead(
        id=subscription.id,
        url=subscription.url,
        event_types=subscription.type_names(),
        description=subscription.description,
        enabled=subscription.enabled,
        disabled_reason=subscription.disabled_reason,
        disabled_at=subscription.disabled_at,
        owner=OwnerRead(
            client_id=subscription.owner_client_id,
            role=Role(subscription.owner_role),
            organisation_id=subscription.owner_organisation_id,
        ),
        secret_rotated_at=subscription.secret_rotated_at,
        previous_secret_expires_at=subscription.previous_secret_expires_at,
        version=subscription.version,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


def _with_secret(
    subscription: WebhookSubscription, secret: str
) -> SubscriptionWithSecret:
    return SubscriptionWithSecret(**to_read(subscription).model_dump(), secret=secret)


def check_event_types(role: Role, event_types: Sequence[str]) -> None:
    """Checks that every type exists and that the role may receive it.

    Raises
    ------
    UnknownEventTypesError
        A type is not one of the platform's.
    EventTypesNotAllowedError
        The role can never receive a type (e.g. a partner and signed reports).
    """
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise UnknownEventTypesError(
            f"Unknown event type(s): {', '.join(unknown)}. GET /v1/webhook-event-types lists "
            "the types, with the roles that may receive each."
        )
    refused = refused_types(role, event_types)
    if refused:
        reasons = "; ".join(f"{t} ({why})" for t, why in refused.items())
        raise EventTypesNotAllowedError(
            f"The role {role.value} can never receive: {reasons}. Remove these types; GET "
            "/v1/webhook-event-types lists what your role may receive.",
            refused_types=sorted(refused),
        )


def _not_found(subscription_id: uuid.UUID) -> SubscriptionNotFoundError:
    return SubscriptionNotFoundError(
        f"No webhook subscription {subscription_id} is yours: check the id "
        "(GET /v1/webhook-subscriptions lists yours)."
    )


def _stale(subscription_id: uuid.UUID) -> SubscriptionVersionMismatchError:
    return SubscriptionVersionMismatchError(
        f"The webhook subscription {subscription_id} changed since you read it: GET it again "
        "and send its new ETag in If-Match."
    )


async def _visible(
    repository: SubscriptionRepository,
    principal: Principal,
    subscription_id: uuid.UUID,
    expected_version: int | None = None,
) -> WebhookSubscription:
    subscription = await repository.get_visible(principal, subscription_id)
    if subscription is None:
        raise _not_found(subscription_id)
    if expected_version is not None and expected_version != subscription.version:
        raise _stale(subscription_id)
    return subscription


async def create_subscription(
    db: AsyncSession,
    principal: Principal,
    payload: SubscriptionCreate,
    *,
    now: datetime,
    cipher: SecretCipher,
    targets: TargetCheck,
) -> SubscriptionWithSecret:
    """Creates a subscription for the caller; its secret is in this answer only.

    Raises
    ------
    UnknownEventTypesError, EventTypesNotAllowedError
        The event types cannot be received by the caller's role.
    TargetNotAllowedError
        The URL is not an allowed target.
    """
    check_event_types(principal.role, payload.event_types)
    # Resolved before the transaction: no lock is held across a DNS lookup.
    target = await check_target(payload.url, targets.policy, targets.resolve)
    secret = generate_event_signing_secret()
    owner = Owner.of(principal)
    subscription = WebhookSubscription(
        id=uuid7(),
        owner_client_id=owner.client_id,
        owner_role=owner.role.value,
        owner_organisation_id=owner.organisation_id,
        url=payload.url,
        origin=target.origin,
        description=payload.description,
        enabled=True,
        secret_ciphertext=cipher.encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    async with db.begin():
        SubscriptionRepository(db).add(subscription, payload.event_types)
    return _with_secret(subscription, secret)


async def list_subscriptions(
    db: AsyncSession,
    principal: Principal,
    *,
    enabled: bool | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[SubscriptionRead], str | None]:
    """The caller's subscriptions (every one for an admin), oldest first.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    kind = f"subscriptions:{enabled}"
    after = cursor_position(cursor, kind, lambda values: uuid.UUID(values[0]))
    async with db.begin():
        rows = await SubscriptionRepository(db).list_visible(
            principal, enabled=enabled, after=after, limit=limit
        )
    items, next_cursor = keyset_page(rows, limit, kind, lambda s: [str(s.id)])
    return [to_read(s) for s in items], next_cursor


async def get_subscription(
    db: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionRead:
    """Gets one of the caller's subscriptions.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    """
    async with db.begin():
        subscription = await _visible(
            SubscriptionRepository(db), principal, subscription_id
        )
    return to_read(subscription)


async def update_subscription(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    payload: SubscriptionUpdate,
    *,
    expected_version: int | None,
    now: datetime,
    targets: TargetCheck,
) -> SubscriptionRead:
    """Changes a subscription's URL, event types, description or state.

    Re-enabling clears the disabled reason; the deliveries that waited resume.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    SubscriptionVersionMismatchError
        If-Match names another version.
    UnknownEventTypesError, EventTypesNotAllowedError, TargetNotAllowedError
        The new event types or URL are not allowed.
    """
    fields = payload.model_fields_set
    target = (
        await check_target(payload.url, targets.policy, targets.resolve)
        if payload.url is not None
        else None
    )
    try:
        async with db.begin():
            repository = SubscriptionRepository(db)
            subscription = await _visible(
                repository, principal, subscription_id, expected_version
            )
            if payload.event_types is not None:
                # The owner's role at creation decides, whoever edits (an admin may).
                check_event_types(Role(subscription.owner_role), payload.event_types)
                repository.set_event_types(subscription, payload.event_types)
            if target is not None and payload.url is not None:
                subscription.url = payload.url
                subscription.origin = target.origin
            if "description" in fields:
                subscription.description = payload.description
            if payload.enabled is True and not subscription.enabled:
                subscription.enabled = True
                subscription.disabled_reason = None
                subscription.disabled_at = None
            elif payload.enabled is False and subscription.enabled:
                subscription.enabled = False
                subscription.disabled_reason = owner_disabled_reason(
                    now=now, client_id=principal.client_id
                )
                subscription.disabled_at = now
            # Always written, even unchanged, so every accepted change moves the version (ETag).
            subscription.updated_at = now
            flag_modified(subscription, "updated_at")
    except StaleDataError as error:
        raise _stale(subscription_id) from error
    return to_read(subscription)


async def delete_subscription(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    expected_version: int | None,
) -> None:
    """Deletes a subscription with its deliveries' log; nothing more is sent to it.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    SubscriptionVersionMismatchError
        If-Match names another version.
    """
    try:
        async with db.begin():
            repository = SubscriptionRepository(db)
            subscription = await _visible(
                repository, principal, subscription_id, expected_version
            )
            await repository.delete(subscription)
    except StaleDataError as error:
        raise _stale(subscription_id) from error


async def rotate_secret(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    expected_version: int | None,
    now: datetime,
    cipher: SecretCipher,
    previous_secret_ttl: timedelta,
) -> SubscriptionWithSecret:
    """Gives a subscription a new secret; the current one keeps signing for a while.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    SubscriptionVersionMismatchError
        If-Match names another version.
    """
    secret = generate_event_signing_secret()
    try:
        async with db.begin():
            subscription = await _visible(
                SubscriptionRepository(db), principal, subscription_id, expected_version
            )
            # Two secrets at most: a secret older than the current one stops signing now.
            subscription.previous_secret_ciphertext = subscription.secret_ciphertext
            subscription.previous_secret_expires_at = now + previous_secret_ttl
            subscription.secret_ciphertext = cipher.encrypt(secret)
            subscription.secret_rotated_at = now
            subscription.updated_at = now
    except StaleDataError as error:
        raise _stale(subscription_id) from error
    return _with_secret(subscription, secret)

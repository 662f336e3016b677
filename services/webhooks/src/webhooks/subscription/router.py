"""Endpoints of subscriptions (abonnements aux webhooks) and of the event types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    expected_version,
    next_link,
    version_etag,
)
from webhooks.access import roles_receiving, subscribable_types
from webhooks.dependencies import (
    AnyRole,
    Cipher,
    CurrentSettings,
    IfMatch,
    Now,
    SubscriptionId,
    Targets,
)
from webhooks.errors import (
    EventTypesNotAllowedError,
    SubscriptionNotFoundError,
    SubscriptionVersionMismatchError,
    TargetNotAllowedError,
    UnknownEventTypesError,
)
from webhooks.event_types import EVENT_TYPES
from webhooks.openapi import documented
from webhooks.sealing import seal
from webhooks.subscription import service as subscription_service
from webhooks.subscription.schemas import (
    EXAMPLE_SECRET,
    READ_EXAMPLE,
    EventTypeList,
    EventTypeRead,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)

router = APIRouter(prefix="/v1/webhook-subscriptions", tags=["webhook-subscriptions"])
types_router = APIRouter(prefix="/v1/webhook-event-types", tags=["webhook-event-types"])

_AUTH = (AuthenticationError, PermissionDeniedError)
_TYPES = (UnknownEventTypesError, EventTypesNotAllowedError)
_WRITE = (SubscriptionNotFoundError, SubscriptionVersionMismatchError)
_WITH_SECRET_EXAMPLE = READ_EXAMPLE | {"secret": EXAMPLE_SECRET}


def _answer(response: Response, subscription: SubscriptionRead) -> None:
    response.headers["ETag"] = version_etag(subscription.version)


def _version(if_match: str | None) -> int | None:
    return expected_version(if_match, required=False, resource="webhook subscription")


def _sealed(
    response: Response, subscription: SubscriptionWithSecret, cipher: Cipher
) -> SubscriptionWithSecret:
    # Sealed here, opened on the way out (sealing.py): the stored idempotent answer never
    # holds the secret in plain text.
    _answer(response, subscription)
    return subscription.model_copy(update={"secret": seal(cipher, subscription.secret)})


@types_router.get(
    "",
    response_model=EventTypeList,
    summary="List the event types (types d'événements)",
    description="Every event type of the platform you may subscribe to, what it tells, and "
    "which roles may receive it. A subscription receives only the events of its owner's "
    "organisation: a partner its own candidates' candidacies, a certifier the candidacies "
    "of its certifications, an exam centre its own sessions; the catalog and the public "
    "session calendar go to everyone. Not paginated: the list is short and fixed.",
    responses=documented(
        200,
        "The event types.",
        {
            "items": [
                {
                    "type": "fr.vae.candidacy.admissibility-decided.v1",
                    "description": "The certifier decided a candidacy's admissibility "
                    "(décision de recevabilité): admissible or not, with the reasons. "
                    "Data: the candidacy.",
                    "roles": ["admin", "certifier", "partner"],
                    "you_may_subscribe": True,
                }
            ]
        },
        *_AUTH,
    ),
)
async def list_event_types(principal: AnyRole) -> EventTypeList:
    allowed = set(subscribable_types(principal.role))
    return EventTypeList(
        items=[
            EventTypeRead(
                type=name,
                description=known.description,
                roles=roles_receiving(name),
                you_may_subscribe=name in allowed,
            )
            for name, known in EVENT_TYPES.items()
        ]
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionWithSecret,
    summary="Subscribe an endpoint to events (créer un abonnement)",
    description="Your endpoint will receive the events of these types that your organisation "
    "may see, POSTed as CloudEvents 1.0 JSON (application/cloudevents+json) and signed per "
    "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The answer holds "
    "the signing secret (whsec_…) **once**: store it, it is never shown again. The URL must "
    "be https, without user-info, on a host whose every address is public; it is checked "
    "again at each connection. Accepts Idempotency-Key.",
    responses=documented(
        201,
        "The subscription, with its signing secret (shown in this answer only).",
        _WITH_SECRET_EXAMPLE,
        *_AUTH,
        *_TYPES,
        TargetNotAllowedError,
        etag=True,
    ),
)
async def create_subscription(
    payload: Annotated[
        SubscriptionCreate,
        Body(
            openapi_examples={
                "partner": {
                    "summary": "A partner follows its candidacies",
                    "value": {
                        "url": "https://si.carif-oref-occitanie.example/webhooks/vae",
                        "event_types": [
                            "fr.vae.candidacy.admissibility-decided.v1",
                            "fr.vae.candidacy.jury-outcome-recorded.v1",
                        ],
                        "description": "Recevabilités et résultats de jury pour notre SI",
                    },
                },
                "certifier": {
                    "summary": "A certifier follows its submissions and reports",
                    "value": {
                        "url": "https://back-office.certificateur.example/hooks",
                        "event_types": [
                            "fr.vae.candidacy.submitted.v1",
                            "fr.vae.sessions.report-signed.v1",
                        ],
                    },
                },
            }
        ),
    ],
    db: DbSession,
    principal: AnyRole,
    now: Now,
    cipher: Cipher,
    targets: Targets,
    response: Response,
) -> SubscriptionWithSecret:
    created = await subscription_service.create_subscription(
        db, principal, payload, now=now, cipher=cipher, targets=targets
    )
    response.headers["Location"] = f"/v1/webhook-subscriptions/{created.id}"
    return _sealed(response, created, cipher)


@router.get(
    "",
    response_model=Page[SubscriptionRead],
    summary="List your subscriptions (abonnements)",
    description="Your API client's subscriptions, oldest first (an administrator sees every "
    "client's). Filter by enabled; paginated by cursor.",
    responses=documented(
        200,
        "A page of subscriptions.",
        {"items": [READ_EXAMPLE], "next_cursor": None},
        *_AUTH,
        InvalidCursorError,
    ),
)
async def list_subscriptions(
    request: Request,
    response: Response,
    db: DbSession,
    principal: AnyRole,
    enabled: Annotated[
        bool | None, Query(description="Only enabled (true) or disabled (false) ones.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[SubscriptionRead]:
    items, next_cursor = await subscription_service.list_subscriptions(
        db, principal, enabled=enabled, cursor=cursor, limit=limit
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[SubscriptionRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Get a subscription",
    description="One of your subscriptions, with its ETag; never its secret. A disabled "
    "subscription says why (disabled_reason).",
    responses=documented(
        200,
        "The subscription.",
        READ_EXAMPLE,
        *_AUTH,
        SubscriptionNotFoundError,
        etag=True,
    ),
)
async def get_subscription(
    subscription_id: SubscriptionId,
    db: DbSession,
    principal: AnyRole,
    response: Response,
) -> SubscriptionRead:
    subscription = await subscription_service.get_subscription(
        db, principal, subscription_id
    )
    _answer(response, subscription)
    return subscription


@router.patch(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    summary="Change a subscription (modifier un abonnement)",
    description="Change the URL (checked again), the event types, the description, or "
    "enable/disable it. Re-enabling clears the disabled reason, and the deliveries that "
    "waited resume. Honours If-Match (stale: 412).",
    responses=documented(
        200,
        "The changed subscription.",
        READ_EXAMPLE | {"version": 2},
        *_AUTH,
        *_WRITE,
        *_TYPES,
        TargetNotAllowedError,
        etag=True,
    ),
)
async def update_subscription(
    subscription_id: SubscriptionId,
    payload: Annotated[
        SubscriptionUpdate,
        Body(
            openapi_examples={
                "enable": {
                    "summary": "Re-enable after fixing the endpoint",
                    "value": {"enabled": True},
                },
                "retarget": {
                    "summary": "Move the endpoint and change the types",
                    "value": {
                        "url": "https://si.carif-oref-occitanie.example/webhooks/vae-v2",
                        "event_types": [
                            "fr.vae.candidacy.admissibility-decided.v1",
                            "fr.vae.sessions.session-scheduled.v1",
                        ],
                    },
                },
            }
        ),
    ],
    db: DbSession,
    principal: AnyRole,
    now: Now,
    targets: Targets,
    response: Response,
    if_match: IfMatch = None,
) -> SubscriptionRead:
    updated = await subscription_service.update_subscription(
        db,
        principal,
        subscription_id,
        payload,
        expected_version=_version(if_match),
        now=now,
        targets=targets,
    )
    _answer(response, updated)
    return updated


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription (supprimer un abonnement)",
    description="Nothing more is sent to it; its deliveries' log goes with it. Honours "
    "If-Match (stale: 412).",
    responses=documented(204, "Deleted.", None, *_AUTH, *_WRITE),
)
async def delete_subscription(
    subscription_id: SubscriptionId,
    db: DbSession,
    principal: AnyRole,
    if_match: IfMatch = None,
) -> Response:
    await subscription_service.delete_subscription(
        db, principal, subscription_id, expected_version=_version(if_match)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/secret-rotations",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionWithSecret,
    summary="Rotate the signing secret (renouveler le secret)",
    description="A new secret (whsec_…), shown in this answer only. For "
    "previous_secret_ttl (24 hours by default) every delivery carries two signatures, by "
    "the new and the previous secret (space-separated in webhook-signature, as Standard "
    "Webhooks allows): switch your endpoint to the new secret within that time. A second "
    "rotation ends the oldest secret at once. Honours If-Match; accepts Idempotency-Key.",
    responses=documented(
        201,
        "The subscription with its new secret (shown in this answer only).",
        _WITH_SECRET_EXAMPLE
        | {
            "version": 2,
            "secret_rotated_at": "2026-11-28T08:00:00Z",
            "previous_secret_expires_at": "2026-11-29T08:00:00Z",
        },
        *_AUTH,
        *_WRITE,
        etag=True,
    ),
)
async def rotate_secret(
    subscription_id: SubscriptionId,
    db: DbSession,
    principal: AnyRole,
    now: Now,
    cipher: Cipher,
    settings: CurrentSettings,
    response: Response,
    if_match: IfMatch = None,
) -> SubscriptionWithSecret:
    rotated = await subscription_service.rotate_secret(
        db,
        principal,
        subscription_id,
        expected_version=_version(if_match),
        now=now,
        cipher=cipher,
        previous_secret_ttl=settings.previous_secret_ttl,
    )
    return _sealed(response, rotated, cipher)

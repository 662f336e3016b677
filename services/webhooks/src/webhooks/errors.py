"""The webhooks service's errors.

ServiceError (common)
 ├─ SubscriptionNotFoundError            404
 ├─ DeliveryNotFoundError                404
 ├─ UnknownEventTypesError               422
 ├─ EventTypesNotAllowedError            422
 ├─ TargetNotAllowedError                422
 ├─ InvalidEventError                    422
 ├─ SubscriptionDisabledError            409
 ├─ DeliveryInFlightError                409
 └─ SubscriptionVersionMismatchError     412
"""

from __future__ import annotations

from common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)


class SubscriptionNotFoundError(NotFoundError):
    code = "WEBHOOK_SUBSCRIPTION_NOT_FOUND"


class DeliveryNotFoundError(NotFoundError):
    code = "WEBHOOK_DELIVERY_NOT_FOUND"


class UnknownEventTypesError(InvalidInputError):
    code = "UNKNOWN_EVENT_TYPES"


class EventTypesNotAllowedError(InvalidInputError):
    code = "EVENT_TYPES_NOT_ALLOWED"


class TargetNotAllowedError(InvalidInputError):
    code = "WEBHOOK_URL_NOT_ALLOWED"


class InvalidEventError(InvalidInputError):
    code = "INVALID_EVENT"


class SubscriptionDisabledError(ConflictError):
    code = "WEBHOOK_SUBSCRIPTION_DISABLED"


class DeliveryInFlightError(ConflictError):
    code = "WEBHOOK_DELIVERY_IN_FLIGHT"


class SubscriptionVersionMismatchError(PreconditionFailedError):
    code = "WEBHOOK_SUBSCRIPTION_VERSION_MISMATCH"

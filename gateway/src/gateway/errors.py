"""The gateway's errors.

ServiceError (common)
 ├─ ApiClientNotFoundError      404
 ├─ ApiClientRevokedError       409
 ├─ RouteNotFoundError          404
 ├─ BodyTooLargeError           413
 ├─ RateLimitedError            429
 ├─ UpstreamRefusedError        502
 ├─ UpstreamUnavailableError    503
 ├─ UpstreamOverloadedError     503
 └─ UpstreamTimeoutError        504
"""

from __future__ import annotations

from common import ConflictError, NotFoundError, PayloadTooLargeError, ServiceError


class ApiClientNotFoundError(NotFoundError):
    code = "API_CLIENT_NOT_FOUND"


class ApiClientRevokedError(ConflictError):
    code = "API_CLIENT_REVOKED"


class RouteNotFoundError(NotFoundError):
    code = "ROUTE_NOT_FOUND"


class BodyTooLargeError(PayloadTooLargeError):
    code = "BODY_TOO_LARGE"


class RateLimitedError(ServiceError):
    code = "RATE_LIMITED"
    status_code = 429


class UpstreamRefusedError(ServiceError):
    code = "UPSTREAM_UNREACHABLE"
    status_code = 502


class UpstreamUnavailableError(ServiceError):
    code = "UPSTREAM_UNAVAILABLE"
    status_code = 503


class UpstreamOverloadedError(ServiceError):
    code = "UPSTREAM_OVERLOADED"
    status_code = 503


class UpstreamTimeoutError(ServiceError):
    code = "UPSTREAM_TIMEOUT"
    status_code = 504

"""The candidacy service's errors.

ServiceError (common)
 ├─ CandidateNotFoundError                 404
 ├─ CandidacyNotFoundError                 404
 ├─ ExperienceNotFoundError                404
 ├─ LinkNotFoundError                      404
 ├─ CertificationUnknownError              422
 ├─ CertificationInactiveError             422
 ├─ CertificationNotOpenToVaeError         422
 ├─ NoExperienceDeclaredError              422
 ├─ BlocksNotInCertificationError          422
 ├─ BlocksAlreadyAcquiredError             422
 ├─ DecisionReasonsRequiredError           422
 ├─ InvalidEventError                      422
 ├─ UnknownStateError                      422
 ├─ StateWithoutEquivalentError            422
 ├─ SubmissionLimitReachedError            409
 ├─ YearlyCertificationLimitReachedError   409
 ├─ ActionNotAllowedError                  409
 ├─ CandidacyVersionMismatchError          412
 ├─ CandidateVersionMismatchError          412
 └─ CatalogUnavailableError                503

IfMatchRequiredError (428) comes from common.
"""

from __future__ import annotations

from common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
)
from common import (
    IfMatchRequiredError as IfMatchRequiredError,
)


class CandidateNotFoundError(NotFoundError):
    code = "CANDIDATE_NOT_FOUND"


class CandidacyNotFoundError(NotFoundError):
    code = "CANDIDACY_NOT_FOUND"


class ExperienceNotFoundError(NotFoundError):
    code = "EXPERIENCE_NOT_FOUND"


class LinkNotFoundError(NotFoundError):
    code = "LINK_NOT_FOUND"


class CertificationUnknownError(InvalidInputError):
    code = "CERTIFICATION_UNKNOWN"


class CertificationInactiveError(InvalidInputError):
    code = "CERTIFICATION_INACTIVE"


class CertificationNotOpenToVaeError(InvalidInputError):
    code = "CERTIFICATION_NOT_OPEN_TO_VAE"


class NoExperienceDeclaredError(InvalidInputError):
    code = "NO_EXPERIENCE_DECLARED"


class BlocksNotInCertificationError(InvalidInputError):
    code = "BLOCKS_NOT_IN_CERTIFICATION"


class BlocksAlreadyAcquiredError(InvalidInputError):
    code = "BLOCKS_ALREADY_ACQUIRED"


class DecisionReasonsRequiredError(InvalidInputError):
    code = "DECISION_REASONS_REQUIRED"


class InvalidEventError(InvalidInputError):
    code = "INVALID_EVENT"


class UnknownStateError(InvalidInputError):
    code = "UNKNOWN_STATE"


class StateWithoutEquivalentError(InvalidInputError):
    code = "STATE_WITHOUT_EQUIVALENT"


class SubmissionLimitReachedError(ConflictError):
    code = "SUBMISSION_LIMIT_REACHED"


class YearlyCertificationLimitReachedError(ConflictError):
    code = "YEARLY_CERTIFICATION_LIMIT_REACHED"


class ActionNotAllowedError(ConflictError):
    code = "ACTION_NOT_ALLOWED"


class CandidacyVersionMismatchError(PreconditionFailedError):
    code = "CANDIDACY_VERSION_MISMATCH"


class CandidateVersionMismatchError(PreconditionFailedError):
    code = "CANDIDATE_VERSION_MISMATCH"


class CatalogUnavailableError(ServiceUnavailableError):
    code = "CATALOG_UNAVAILABLE"

"""The sessions service's errors.

ServiceError (common)
 ├─ ExamCentreNotFoundError                   404
 ├─ SiteNotFoundError                         404
 ├─ JurorNotFoundError                        404
 ├─ ExamSessionNotFoundError                  404
 ├─ RegistrationNotFoundError                 404
 ├─ CandidacyNotFoundError                    404
 ├─ CertificationUnknownError                 422
 ├─ CertificationInactiveError                422
 ├─ ApprovalDatesInvalidError                 422
 ├─ ApprovalBeyondCertificationEndError       422
 ├─ JurorExperienceTooShortError              422
 ├─ JurorLeftTradeTooLongAgoError             422
 ├─ SessionDatesInvalidError                  422
 ├─ SessionTooLongError                       422
 ├─ BlocksNotInCertificationError             422
 ├─ SessionNotApprovedError                   422
 ├─ JuryTooSmallError                         422
 ├─ JurorNotHabilitatedError                  422
 ├─ JuryCompositionInvalidError               422
 ├─ CandidacyNotAdmissibleError               422
 ├─ CandidacyCertificationMismatchError       422
 ├─ BlocksNotInTargetError                    422
 ├─ ReportIncompleteError                     422
 ├─ JurorDoubleBookedError                    409
 ├─ JurorConflictOfInterestError              409
 ├─ SessionManagerConflictOfInterestError     409
 ├─ SupervisorConflictOfInterestError         409
 ├─ CandidateDoubleBookedError                409
 ├─ AlreadyRegisteredError                    409
 ├─ RegistrationClosedError                   409
 ├─ SessionFullError                          409
 ├─ ConvocationsTooLateError                  409
 ├─ SessionNotEndedError                      409
 ├─ SessionNotStartedError                    409
 ├─ ActionNotAllowedError                     409
 ├─ SessionVersionMismatchError               412
 ├─ CatalogUnavailableError                   503
 └─ CandidacyServiceUnavailableError          503
"""

from __future__ import annotations

from common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    ServiceUnavailableError,
)


class ExamCentreNotFoundError(NotFoundError):
    code = "EXAM_CENTRE_NOT_FOUND"


class SiteNotFoundError(NotFoundError):
    code = "SITE_NOT_FOUND"


class JurorNotFoundError(NotFoundError):
    code = "JUROR_NOT_FOUND"


class ExamSessionNotFoundError(NotFoundError):
    code = "EXAM_SESSION_NOT_FOUND"


class RegistrationNotFoundError(NotFoundError):
    code = "REGISTRATION_NOT_FOUND"


class CandidacyNotFoundError(NotFoundError):
    code = "CANDIDACY_NOT_FOUND"


class CertificationUnknownError(InvalidInputError):
    code = "CERTIFICATION_UNKNOWN"


class CertificationInactiveError(InvalidInputError):
    code = "CERTIFICATION_INACTIVE"


class ApprovalDatesInvalidError(InvalidInputError):
    code = "APPROVAL_DATES_INVALID"


class ApprovalBeyondCertificationEndError(InvalidInputError):
    code = "APPROVAL_BEYOND_CERTIFICATION_END"


class JurorExperienceTooShortError(InvalidInputError):
    code = "JUROR_EXPERIENCE_TOO_SHORT"


class JurorLeftTradeTooLongAgoError(InvalidInputError):
    code = "JUROR_LEFT_TRADE_TOO_LONG_AGO"


class SessionDatesInvalidError(InvalidInputError):
    code = "SESSION_DATES_INVALID"


class SessionTooLongError(InvalidInputError):
    code = "SESSION_TOO_LONG"


class BlocksNotInCertificationError(InvalidInputError):
    code = "BLOCKS_NOT_IN_CERTIFICATION"


class SessionNotApprovedError(InvalidInputError):
    code = "SESSION_NOT_APPROVED"


class JuryTooSmallError(InvalidInputError):
    code = "JURY_TOO_SMALL"


class JurorNotHabilitatedError(InvalidInputError):
    code = "JUROR_NOT_HABILITATED"


class JuryCompositionInvalidError(InvalidInputError):
    code = "JURY_COMPOSITION_INVALID"


class CandidacyNotAdmissibleError(InvalidInputError):
    code = "CANDIDACY_NOT_ADMISSIBLE"


class CandidacyCertificationMismatchError(InvalidInputError):
    code = "CANDIDACY_CERTIFICATION_MISMATCH"


class BlocksNotInTargetError(InvalidInputError):
    code = "BLOCKS_NOT_IN_TARGET"


class ReportIncompleteError(InvalidInputError):
    code = "REPORT_INCOMPLETE"


class JurorDoubleBookedError(ConflictError):
    code = "JUROR_DOUBLE_BOOKED"


class JurorConflictOfInterestError(ConflictError):
    code = "JUROR_CONFLICT_OF_INTEREST"


class SessionManagerConflictOfInterestError(ConflictError):
    code = "SESSION_MANAGER_CONFLICT_OF_INTEREST"


class SupervisorConflictOfInterestError(ConflictError):
    code = "SUPERVISOR_CONFLICT_OF_INTEREST"


class CandidateDoubleBookedError(ConflictError):
    code = "CANDIDATE_DOUBLE_BOOKED"


class AlreadyRegisteredError(ConflictError):
    code = "ALREADY_REGISTERED"


class RegistrationClosedError(ConflictError):
    code = "REGISTRATION_CLOSED"


class SessionFullError(ConflictError):
    code = "SESSION_FULL"


class ActionNotAllowedError(ConflictError):
    code = "ACTION_NOT_ALLOWED"


class SessionVersionMismatchError(PreconditionFailedError):
    code = "SESSION_VERSION_MISMATCH"


class CatalogUnavailableError(ServiceUnavailableError):
    code = "CATALOG_UNAVAILABLE"


class CandidacyServiceUnavailableError(ServiceUnavailableError):
    code = "CANDIDACY_SERVICE_UNAVAILABLE"


class ConvocationsTooLateError(ConflictError):
    code = "CONVOCATIONS_TOO_LATE"


class SessionNotEndedError(ConflictError):
    code = "SESSION_NOT_ENDED"


class SessionNotStartedError(ConflictError):
    code = "SESSION_NOT_STARTED"

"""The catalog's errors.

ServiceError (common)
 ├─ CertificationNotFoundError          404
 ├─ BlockNotFoundError                  404
 ├─ CertifierNotFoundError              404
 ├─ ImportNotFoundError                 404
 ├─ CertifInfoCodeNotFoundError         404
 ├─ CertificationAlreadyExistsError     409
 ├─ CertificationManagedByRncpError     409
 ├─ ImportAlreadyRunningError           409
 ├─ CertificationVersionMismatchError   412
 ├─ IfMatchRequiredError                428
 ├─ ImportFileTooLargeError             413
 ├─ ImportFileEmptyError                422
 └─ CertifInfoFileInvalidError          422
"""

from __future__ import annotations

from common import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    PreconditionRequiredError,
)


class CertificationNotFoundError(NotFoundError):
    code = "CERTIFICATION_NOT_FOUND"


class BlockNotFoundError(NotFoundError):
    code = "BLOCK_NOT_FOUND"


class CertifierNotFoundError(NotFoundError):
    code = "CERTIFIER_NOT_FOUND"


class ImportNotFoundError(NotFoundError):
    code = "IMPORT_NOT_FOUND"


class CertifInfoCodeNotFoundError(NotFoundError):
    code = "CERTIF_INFO_CODE_NOT_FOUND"


class CertificationAlreadyExistsError(ConflictError):
    code = "CERTIFICATION_ALREADY_EXISTS"


class CertificationManagedByRncpError(ConflictError):
    code = "CERTIFICATION_MANAGED_BY_RNCP"


class ImportAlreadyRunningError(ConflictError):
    code = "IMPORT_ALREADY_RUNNING"


class CertificationVersionMismatchError(PreconditionFailedError):
    code = "CERTIFICATION_VERSION_MISMATCH"


class IfMatchRequiredError(PreconditionRequiredError):
    code = "IF_MATCH_REQUIRED"


class ImportFileTooLargeError(PayloadTooLargeError):
    code = "IMPORT_FILE_TOO_LARGE"


class ImportFileEmptyError(InvalidInputError):
    code = "IMPORT_FILE_EMPTY"


class CertifInfoFileInvalidError(InvalidInputError):
    code = "CERTIF_INFO_FILE_INVALID"

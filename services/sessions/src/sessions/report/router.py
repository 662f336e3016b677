"""Endpoints of the session report (procès-verbal)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, status

from common import (
    AuthenticationError,
    DbSession,
    IfMatchRequiredError,
    PermissionDeniedError,
    expected_version,
    problem_responses,
)
from sessions.dependencies import Admin, AnyRole, CentreOrAdmin, IfMatchRequired, Rules
from sessions.errors import (
    ActionNotAllowedError,
    ExamSessionNotFoundError,
    ReportIncompleteError,
    SessionVersionMismatchError,
)
from sessions.openapi import examples, success
from sessions.report import service as report_service
from sessions.report.schemas import (
    REPORT_READ_EXAMPLE,
    REPORT_WRITE_EXAMPLE,
    REVOCATION_EXAMPLE,
    ReportRead,
    ReportWrite,
    RevocationWrite,
)

router = APIRouter(prefix="/v1/exam-sessions/{session_id}", tags=["reports"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.post(
    "/report",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportRead,
    summary="Sign the report (procès-verbal)",
    description="After the session: for every registered candidate, attendance and, per "
    "assessed block, VALIDATED, NOT_VALIDATED or NOT_ASSESSED. Signed once (an administrator may "
    "revoke it; the history keeps it). Signing publishes `report.signed`, which the candidacy "
    "service applies to the candidacies and their acquired blocks. If-Match (the session's "
    "ETag) is required.",
    responses={
        **success(
            201,
            "The signed report.",
            "Un procès-verbal signé",
            REPORT_READ_EXAMPLE,
        ),
        **problem_responses(
            *_AUTH,
            ExamSessionNotFoundError,
            ActionNotAllowedError,
            SessionVersionMismatchError,
            IfMatchRequiredError,
            ReportIncompleteError,
        ),
    },
)
async def sign_report(
    session_id: uuid.UUID,
    payload: Annotated[
        ReportWrite,
        Body(
            openapi_examples=examples(
                "Procès-verbal : un candidat présent, un absent",
                REPORT_WRITE_EXAMPLE,
                "A line per registered candidate: attendance and, for a candidate who sat, "
                "the result of each block assessed.",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    rules: Rules,
    if_match: IfMatchRequired = None,
) -> ReportRead:
    version = expected_version(if_match, required=True, resource="exam session")
    return await report_service.sign_report(
        db, principal, session_id, payload, expected_version=version or -1, rules=rules
    )


@router.get(
    "/report",
    response_model=list[ReportRead],
    summary="The session's reports (procès-verbaux)",
    description="The report in force and any revoked one, newest first; a partner sees only its "
    "candidates' lines.",
    responses={
        **success(
            200,
            "The reports, newest first (empty before signing).",
            "Le procès-verbal en vigueur",
            [REPORT_READ_EXAMPLE],
        ),
        **problem_responses(*_AUTH, ExamSessionNotFoundError),
    },
)
async def get_reports(
    session_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> list[ReportRead]:
    return await report_service.get_reports(db, principal, session_id)


@router.post(
    "/report/revocation",
    response_model=ReportRead,
    summary="Revoke the signed report (retrait du procès-verbal, administrators)",
    description="The report stays on record as revoked; the session is HELD again, for a new "
    "report. If-Match is required.",
    responses={
        **success(
            200,
            "The revoked report, kept on record.",
            "Un procès-verbal retiré",
            {
                **REPORT_READ_EXAMPLE,
                "revoked_at": "2027-03-20T09:00:00Z",
                "revocation_reason": REVOCATION_EXAMPLE["reason"],
            },
        ),
        **problem_responses(
            *_AUTH,
            ExamSessionNotFoundError,
            ActionNotAllowedError,
            SessionVersionMismatchError,
            IfMatchRequiredError,
            report_service.ReportNotFoundError,
        ),
    },
)
async def revoke_report(
    session_id: uuid.UUID,
    payload: Annotated[
        RevocationWrite,
        Body(
            openapi_examples=examples(
                "Retrait pour erreur de saisie", REVOCATION_EXAMPLE
            )
        ),
    ],
    db: DbSession,
    principal: Admin,
    rules: Rules,
    if_match: IfMatchRequired = None,
) -> ReportRead:
    version = expected_version(if_match, required=True, resource="exam session")
    return await report_service.revoke_report(
        db,
        principal,
        session_id,
        reason=payload.reason,
        expected_version=version or -1,
        rules=rules,
    )

"""Endpoints of the session report (procès-verbal)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

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
from sessions.report import service as report_service
from sessions.report.schemas import ReportRead, ReportWrite, RevocationWrite

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
    responses=problem_responses(
        *_AUTH,
        ExamSessionNotFoundError,
        ActionNotAllowedError,
        SessionVersionMismatchError,
        IfMatchRequiredError,
        ReportIncompleteError,
    ),
)
async def sign_report(
    session_id: uuid.UUID,
    payload: ReportWrite,
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
    summary="The session's reports",
    description="The report in force and any revoked one, newest first; a partner sees only its "
    "candidates' lines.",
    responses=problem_responses(*_AUTH, ExamSessionNotFoundError),
)
async def get_reports(
    session_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> list[ReportRead]:
    return await report_service.get_reports(db, principal, session_id)


@router.post(
    "/report/revocation",
    response_model=ReportRead,
    summary="Revoke the signed report (administrators)",
    description="The report stays on record as revoked; the session is HELD again, for a new "
    "report. If-Match is required.",
    responses=problem_responses(
        *_AUTH,
        ExamSessionNotFoundError,
        ActionNotAllowedError,
        SessionVersionMismatchError,
        IfMatchRequiredError,
        report_service.ReportNotFoundError,
    ),
)
async def revoke_report(
    session_id: uuid.UUID,
    payload: RevocationWrite,
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

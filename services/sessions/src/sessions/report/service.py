"""Report use cases: sign the procès-verbal once (publishing report.signed), revoke, read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import NotFoundError, Principal, Role, add_event, utcnow
from sessions.config import EVENT_SOURCE
from sessions.db import OutboxEvent
from sessions.errors import ReportIncompleteError
from sessions.registration.models import Registration
from sessions.registration.repository import RegistrationRepository
from sessions.report.models import Report
from sessions.report.schemas import BlockLine, ReportLineRead, ReportRead, ReportWrite
from sessions.session.models import ExamSession
from sessions.session.repository import SessionRepository
from sessions.session.rules import Action, Attendance, BlockResult, State, session_days
from sessions.session.service import (
    SessionRules,
    change_session,
    load,
    load_for,
    publish,
    site_of,
)

REPORT_SIGNED = "fr.vae.sessions.report-signed.v1"
_PRESENT = frozenset({Attendance.PRESENT, Attendance.LATE})


class ReportNotFoundError(NotFoundError):
    code = "REPORT_NOT_FOUND"


def _lines(
    payload: ReportWrite, registrations: Sequence[Registration]
) -> list[ReportLineRead]:
    """Checks that the report covers every candidate and every assessed block, exactly."""
    by_id = {r.id: r for r in registrations}
    given = {line.registration_id for line in payload.lines}
    unknown = sorted(str(i) for i in given - by_id.keys())
    missing = sorted(str(i) for i in by_id.keys() - given)
    if unknown or missing or len(given) != len(payload.lines):
        raise ReportIncompleteError(
            "The report needs exactly one line per registered candidate"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not registered: {', '.join(unknown)}" if unknown else "")
            + (
                ". A candidate appears twice"
                if len(given) != len(payload.lines)
                else ""
            )
            + ".",
            missing_registration_ids=missing,
            unknown_registration_ids=unknown,
        )
    lines = []
    for line in payload.lines:
        registration = by_id[line.registration_id]
        attendance = line.attendance or (
            Attendance(registration.attendance) if registration.attendance else None
        )
        if attendance is None:
            raise ReportIncompleteError(
                f"Registration {registration.id} has no attendance: record it or give it in the line."
            )
        results = {b.block_code: b.result for b in line.blocks}
        if attendance in _PRESENT:
            if set(results) != set(registration.block_codes) or len(results) != len(
                line.blocks
            ):
                raise ReportIncompleteError(
                    f"Registration {registration.id} needs one result for each of its blocks "
                    f"({', '.join(registration.block_codes)}); the line gives {', '.join(results) or 'none'}."
                )
        elif any(r is not BlockResult.NOT_ASSESSED for r in results.values()):
            raise ReportIncompleteError(
                f"Registration {registration.id} is {attendance}: its blocks cannot be assessed."
            )
        elif not set(results) <= set(registration.block_codes) or len(results) != len(
            line.blocks
        ):
            raise ReportIncompleteError(
                f"Registration {registration.id} is {attendance}: list none of its blocks, or only "
                f"its own ({', '.join(registration.block_codes)}) as NOT_ASSESSED, each once."
            )
        lines.append(
            ReportLineRead(
                registration_id=registration.id,
                candidacy_id=registration.candidacy_id,
                attendance=attendance,
                blocks=[
                    BlockLine(block_code=c, result=results[c])
                    for c in registration.block_codes
                ]
                if attendance in _PRESENT
                else [],
            )
        )
    return lines


def _read(report: Report) -> ReportRead:
    return ReportRead(
        id=report.id,
        session_id=report.session_id,
        lines=[ReportLineRead.model_validate(line) for line in report.lines],
        signed_at=report.signed_at,
        signed_by=report.signed_by,
        revoked_at=report.revoked_at,
        revocation_reason=report.revocation_reason,
    )


def report_signed_data(
    session: ExamSession, report: Report, certifier_ids: Sequence[str]
) -> dict[str, object]:
    """The data of ``report.signed``, as the candidacy service reads it.

    ``centre_id`` and ``certifier_ids`` (the certifiers recorded for the session) let partner
    webhooks decide who may receive it; the candidacy service ignores them.
    """
    _, last_day = session_days(session.starts_at, session.ends_at)
    return {
        "report_id": str(report.id),
        "session_id": str(session.id),
        "centre_id": str(session.centre_id),
        "certifier_ids": list(certifier_ids),
        "rncp_code": session.rncp_code,
        "jury_date": last_day.isoformat(),
        "signed_at": report.signed_at.isoformat(),
        "results": [
            {
                "candidacy_id": line["candidacy_id"],
                "attendance": line["attendance"],
                "blocks": line["blocks"],
            }
            for line in report.lines
        ],
    }


async def sign_report(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    payload: ReportWrite,
    *,
    expected_version: int,
    rules: SessionRules,
) -> ReportRead:
    """Signs the report of a held session, once; publishes ``report.signed`` in the same
    transaction (the outbox), which the candidacy service applies.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not held (or already signed); changed meanwhile.
    ReportIncompleteError
        A candidate or a block lacks its line.
    """
    async with db.begin():
        session = await load_for(
            db, principal, session_id, Action.SIGN_REPORT, expected_version
        )
        registrations = await RegistrationRepository(db).of_session(session.id)
        lines = _lines(payload, registrations)
        for registration, line in zip(
            sorted(registrations, key=lambda r: str(r.id)),
            sorted(lines, key=lambda line: str(line.registration_id)),
            strict=True,
        ):
            registration.attendance = line.attendance
        report = Report(
            id=uuid7(),
            session_id=session.id,
            lines=[line.model_dump(mode="json") for line in lines],
            signed_at=utcnow(),
            signed_by=principal.client_id,
        )
        db.add(report)
        repository = SessionRepository(db)
        await change_session(
            repository, session, expected_version, state=State.REPORT_SIGNED
        )
        add_event(
            db,
            OutboxEvent,
            type=REPORT_SIGNED,
            source=EVENT_SOURCE,
            subject=str(session.id),
            data=report_signed_data(
                session, report, await repository.certifiers_of(session.id)
            ),
        )
    return _read(report)


async def revoke_report(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    reason: str,
    expected_version: int,
    rules: SessionRules,
) -> ReportRead:
    """Revokes the signed report (administrators); it stays on record, the session is HELD again.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not an administrator; no signed report; changed meanwhile.
    """
    async with db.begin():
        session = await load_for(
            db, principal, session_id, Action.REVOKE_REPORT, expected_version
        )
        report = await db.scalar(
            select(Report).where(
                Report.session_id == session.id, Report.revoked_at.is_(None)
            )
        )
        if report is None:
            raise ReportNotFoundError("This session has no report in force.")
        report.revoked_at = utcnow()
        report.revoked_by = principal.client_id
        report.revocation_reason = reason
        await change_session(
            SessionRepository(db), session, expected_version, state=State.HELD
        )
        await publish(db, session, await site_of(db, session), "report-revoked", rules)
    return _read(report)


async def get_reports(
    db: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> list[ReportRead]:
    """The session's reports, newest first; a partner sees only its candidates' lines.

    Raises
    ------
    ExamSessionNotFoundError
        No such session visible to the caller.
    """
    async with db.begin():
        session, whole = await load(db, principal, session_id)
        reports = (
            await db.scalars(
                select(Report)
                .where(Report.session_id == session.id)
                .order_by(Report.signed_at.desc())
            )
        ).all()
        mine: set[str] | None = None
        if not whole:
            own = await RegistrationRepository(db).of_session(
                session.id,
                organisation_id=principal.organisation_id
                if principal.role is Role.PARTNER
                else "-",
            )
            mine = {str(r.id) for r in own}
    reads = [_read(report) for report in reports]
    if mine is not None:
        for read in reads:
            read.lines = [
                line for line in read.lines if str(line.registration_id) in mine
            ]
    return reads

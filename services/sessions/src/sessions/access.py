"""Object-level authorisation of sessions: who sees a whole session, who the public calendar.

An exam centre manages only its sessions; the certifier of the certification sees them whole;
partners see the public calendar (no staff, no jury) and only their own registrations.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from common import Principal, Role
from sessions.session.models import ExamSession, ExamSessionCertifier
from sessions.session.rules import State


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def sees_whole_session(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``ExamSession`` rows this caller sees whole."""
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.EXAM_CENTRE:
        centre = _as_uuid(principal.organisation_id)
        return ExamSession.centre_id == centre if centre else false()
    if principal.role is Role.CERTIFIER and principal.organisation_id:
        return exists(
            select(ExamSessionCertifier.session_id).where(
                ExamSessionCertifier.session_id == ExamSession.id,
                ExamSessionCertifier.certifier_id == principal.organisation_id,
            )
        )
    return false()


def session_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``ExamSession`` rows this caller may see at all (drafts stay private)."""
    return or_(sees_whole_session(principal), ExamSession.state != State.DRAFT)


def manages(principal: Principal, session: ExamSession) -> bool:
    """Tells whether the caller manages the session: its centre, or an administrator."""
    return principal.role is Role.ADMIN or (
        principal.role is Role.EXAM_CENTRE
        and principal.organisation_id == str(session.centre_id)
    )

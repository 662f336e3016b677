"""Imports every model so that the metadata knows every table (Alembic, tests)."""

from sessions.centre.models import Approval, ExamCentre, ExamSite
from sessions.db import HandledEvent, IdempotencyKey, OutboxEvent
from sessions.juror.models import Habilitation, Juror
from sessions.registration.models import Registration
from sessions.report.models import Report
from sessions.session.models import ExamSession, ExamSessionCertifier, JuryMember

__all__ = [
    "Approval",
    "ExamCentre",
    "ExamSession",
    "ExamSessionCertifier",
    "ExamSite",
    "Habilitation",
    "HandledEvent",
    "IdempotencyKey",
    "Juror",
    "JuryMember",
    "OutboxEvent",
    "Registration",
    "Report",
]

"""Imports every model so that the metadata knows every table (Alembic, tests)."""

from candidacy.candidacy.models import (
    Candidacy,
    CandidacyCertifier,
    CandidacyTransition,
    JuryOutcome,
    SubmissionSlot,
)
from candidacy.candidate.models import Candidate, CandidateLink, Experience
from candidacy.db import HandledEvent, IdempotencyKey, OutboxEvent
from candidacy.ledger.models import AcquiredBlock

__all__ = [
    "AcquiredBlock",
    "Candidacy",
    "CandidacyCertifier",
    "CandidacyTransition",
    "Candidate",
    "CandidateLink",
    "Experience",
    "HandledEvent",
    "IdempotencyKey",
    "JuryOutcome",
    "OutboxEvent",
    "SubmissionSlot",
]

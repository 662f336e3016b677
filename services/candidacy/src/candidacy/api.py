"""All the candidacy service's routes."""

from __future__ import annotations

from fastapi import APIRouter

from candidacy.candidacy.router import router as candidacy_router
from candidacy.candidate.router import router as candidate_router
from candidacy.ledger.router import router as ledger_router
from candidacy.outcome.router import router as outcome_router
from candidacy.statistics.router import router as statistics_router

api_router = APIRouter()
api_router.include_router(candidate_router)
# Before the candidacy routes: /v1/candidacies/statistics must not be read as a candidacy id.
api_router.include_router(statistics_router)
api_router.include_router(candidacy_router)
api_router.include_router(ledger_router)
api_router.include_router(outcome_router)

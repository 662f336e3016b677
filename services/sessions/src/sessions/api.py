"""All the sessions service's routes."""

from __future__ import annotations

from fastapi import APIRouter

from sessions.centre.router import router as centre_router
from sessions.intake.router import router as intake_router
from sessions.juror.router import router as juror_router
from sessions.lheo.router import router as lheo_router
from sessions.registration.router import router as registration_router
from sessions.report.router import router as report_router
from sessions.session.router import router as session_router

api_router = APIRouter()
api_router.include_router(centre_router)
api_router.include_router(juror_router)
# Before the sessions' routes: /v1/exam-sessions/lheo is not a /v1/exam-sessions/{session_id}.
api_router.include_router(lheo_router)
api_router.include_router(session_router)
api_router.include_router(registration_router)
api_router.include_router(report_router)
api_router.include_router(intake_router)

"""All the catalog's public routes."""

from __future__ import annotations

from fastapi import APIRouter

from catalog.certification.router import router as certification_router
from catalog.certifier.router import router as certifier_router
from catalog.rncp_import.router import router as import_router

api_router = APIRouter()
api_router.include_router(certification_router)
api_router.include_router(certifier_router)
api_router.include_router(import_router)

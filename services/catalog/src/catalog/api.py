"""All the catalog's public routes."""

from __future__ import annotations

from fastapi import APIRouter

from catalog.certif_info.router import router as certif_info_router
from catalog.certification.router import router as certification_router
from catalog.certifier.router import router as certifier_router
from catalog.lheo.router import router as lheo_router
from catalog.rncp_import.router import router as import_router

api_router = APIRouter()
# Before the certifications: /v1/certifications/lheo would otherwise match /{rncp_code}.
api_router.include_router(lheo_router)
api_router.include_router(certification_router)
api_router.include_router(certifier_router)
# Before the RNCP imports' /v1/imports/{import_id} (another method, but clearer so).
api_router.include_router(certif_info_router)
api_router.include_router(import_router)

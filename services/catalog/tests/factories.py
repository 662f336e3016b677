"""Builders of test data for the catalog."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certification import service as certification_service
from catalog.certification.schemas import CertificationWrite

# Builds Authorization headers carrying an internal token: auth(role, organisation_id, ttl=…).
TokenFactory = Callable[..., dict[str, str]]


def random_rncp_code() -> str:
    """Returns an RNCP code unlikely to collide with real ones."""
    return f"RNCP{random.randint(900_000, 999_999)}"


def certification_payload(**overrides: Any) -> dict[str, Any]:
    """Returns a valid body of POST /v1/certifications, with overrides."""
    code = overrides.pop("rncp_code", None) or random_rncp_code()
    payload: dict[str, Any] = {
        "rncp_code": code,
        "title": "CQP Opérateur de maintenance en ascenseurs",
        "kind": "CQP",
        "level": 4,
        "registration_type": "ON_REQUEST",
        "start_date": "2024-01-01",
        "end_date": "2029-01-01",
        "vae_eligible": True,
        "nsf_codes": [
            {
                "code": "250",
                "label": "Spécialités pluritechnologiques mécanique-électricité",
            }
        ],
        "rome_codes": [
            {"code": "I1310", "label": "Maintenance mécanique industrielle"}
        ],
        "certifiers": [{"name": "BRANCHE DES ASCENSEURS", "siret": "12345678900011"}],
        "blocks": [
            {
                "code": f"{code}BC01",
                "title": "Entretenir une installation",
                "competences": ["Diagnostiquer une panne"],
            },
            {
                "code": f"{code}BC02",
                "title": "Intervenir en sécurité",
                "competences": ["Baliser la zone"],
            },
        ],
    }
    payload.update(overrides)
    return payload


async def create_certification(db: AsyncSession, **overrides: Any) -> str:
    """Creates an administrator-kept certification and returns its RNCP code."""
    payload = CertificationWrite.model_validate(certification_payload(**overrides))
    await certification_service.load_kept_certifications(db, [payload])
    return payload.rncp_code

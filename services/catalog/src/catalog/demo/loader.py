"""Loads the demo certifications (the project's own data) into the catalog."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certification import service as certification_service
from catalog.certification.schemas import CertificationWrite, CertifierWrite


def demo_certifications() -> list[CertificationWrite]:
    """Reads the demo file into validated write models."""
    raw: dict[str, Any] = json.loads(
        resources.files("catalog.demo")
        .joinpath("certifications.json")
        .read_text("utf-8")
    )
    certifiers = {
        c["siret"]: CertifierWrite(name=c["name"], siret=c["siret"])
        for c in raw["certifiers"]
    }
    payloads = []
    for item in raw["certifications"]:
        fields = {
            key: value for key, value in item.items() if key != "certifier_sirets"
        }
        fields["certifiers"] = [
            certifiers[siret] for siret in item.get("certifier_sirets", [])
        ]
        payloads.append(CertificationWrite.model_validate(fields))
    return payloads


async def load_demo(db: AsyncSession) -> tuple[int, int, int]:
    """Loads the demo certifications; returns (created, updated, unchanged)."""
    return await certification_service.load_kept_certifications(
        db, demo_certifications()
    )

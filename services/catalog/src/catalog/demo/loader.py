"""Loads the demo certifications (the project's own data) into the catalog."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certif_info import service as certif_info_service
from catalog.certification import service as certification_service
from catalog.certification.schemas import CertificationWrite, CertifierWrite


@dataclass(frozen=True)
class DemoReport:
    """What loading the demo did."""

    created: int
    updated: int
    unchanged: int
    certif_info_linked: int


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


def demo_certif_info_csv() -> bytes:
    """The demo's Certif Info correspondence: fictional codes 990001… (Windows-1252, like the
    open data), one per demo certification, and a row without RNCP code."""
    return resources.files("catalog.demo").joinpath("certif-info.csv").read_bytes()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def load_demo(db: AsyncSession) -> DemoReport:
    """Loads the demo certifications and links their Certif Info codes; idempotent."""
    created, updated, unchanged = await certification_service.load_kept_certifications(
        db, demo_certifications()
    )
    report = await certif_info_service.import_certif_info(
        db, _once(demo_certif_info_csv())
    )
    return DemoReport(created, updated, unchanged, report.linked)

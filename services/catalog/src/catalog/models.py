"""Imports every model so that the metadata knows every table (Alembic, tests)."""

from catalog.certification.models import (
    Block,
    BlockCorrespondence,
    Certification,
    CertificationCertifier,
    CertificationCode,
    LineageLink,
)
from catalog.certifier.models import Certifier
from catalog.db import CatalogRevision, OutboxEvent
from catalog.rncp_import.models import ImportJob

__all__ = [
    "Block",
    "BlockCorrespondence",
    "CatalogRevision",
    "Certification",
    "CertificationCertifier",
    "CertificationCode",
    "Certifier",
    "ImportJob",
    "LineageLink",
    "OutboxEvent",
]

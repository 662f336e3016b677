"""The content of a certification as the catalog receives it, from the RNCP export or an admin.

Both write paths (the import and the admin API) produce these records, and one repository
method stores them, so a certification is written the same way whatever its source.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from catalog.certification.rules import Kind, RegistrationType


@dataclass(frozen=True, slots=True)
class CertifierRecord:
    """A certifier as named by a fiche."""

    name: str
    siret: str | None
    active: bool
    website: str | None


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """A block of competences as exported."""

    code: str
    title: str
    competences_text: str | None
    evaluation_modalities: str | None


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """An NSF, ROME or Formacode code with its label."""

    scheme: str
    code: str
    label: str | None


@dataclass(frozen=True, slots=True)
class CorrespondenceRecord:
    """Equivalence between blocks of this fiche and blocks (or the whole) of another."""

    source_block_codes: tuple[str, ...]
    destination_rncp_code: str
    destination_block_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FicheRecord:
    """Everything the catalog keeps of one RNCP fiche."""

    rncp_code: str
    source_id: int | None
    title: str
    abbreviation_code: str | None
    abbreviation_label: str | None
    fiche_state: str | None
    level: int | None
    registration_type: RegistrationType | None
    rncp_active: bool
    vae_eligible: bool
    vae_jury_composition: str | None
    start_date: date | None
    end_date: date | None
    delivery_deadline_date: date | None
    decision_date: date | None
    activities: str | None
    capabilities: str | None
    sectors: str | None
    job_types: str | None
    description_urls: tuple[str, ...]
    statistics: tuple[dict[str, int], ...]
    partners: tuple[dict[str, Any], ...]
    certifiers: tuple[CertifierRecord, ...]
    codes: tuple[CodeRecord, ...]
    blocks: tuple[BlockRecord, ...]
    previous_codes: tuple[str, ...]
    next_codes: tuple[str, ...]
    correspondences: tuple[CorrespondenceRecord, ...]
    # Set by an administrator; derived from the abbreviation and certifiers when None.
    kind: Kind | None = None
    content_hash: str = field(default="", compare=False)

    def with_hash(self) -> FicheRecord:
        """Returns the record with the hash that tells an unchanged fiche on re-import."""
        # orjson serialises (nested, slotted) dataclasses natively: no deep copy as with astuple.
        digest = hashlib.sha256(orjson.dumps(self)).hexdigest()
        return dataclasses.replace(self, content_hash=digest)

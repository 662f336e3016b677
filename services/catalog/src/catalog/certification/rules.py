"""Catalog rules that need no database: kinds, retention policies, activity, codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

RNCP_CODE_PATTERN = r"^RNCP\d{1,6}$"
BLOCK_CODE_PATTERN = r"^(RNCP\d{1,6}BC\d{2}|\d{1,2})$"
NSF_PATTERN = r"^\d{3}[a-z]?$"
ROME_PATTERN = r"^[A-Z]\d{4}$"
FORMACODE_PATTERN = r"^\d{5}$"
SIRET_PATTERN = r"^\d{14}$"

RNCP_CODE = re.compile(RNCP_CODE_PATTERN)


class Kind(StrEnum):
    """Kind of certification (diplôme, titre professionnel, CQP, CQPM, TPM, autre)."""

    DIPLOME = "DIPLOME"
    TITRE_PROFESSIONNEL = "TITRE_PROFESSIONNEL"
    CQP = "CQP"
    CQPM = "CQPM"
    TPM = "TPM"
    OTHER = "OTHER"


class RegistrationType(StrEnum):
    """How the certification entered the RNCP (enregistrement de droit / sur demande)."""

    BY_RIGHT = "BY_RIGHT"
    ON_REQUEST = "ON_REQUEST"


class RetentionPolicy(StrEnum):
    """How long a partially validated block stays acquired (conservation des blocs acquis)."""

    FIXED_YEARS = "FIXED_YEARS"
    UNTIL_END_DATE = "UNTIL_END_DATE"
    NONE = "NONE"


class Source(StrEnum):
    """Where a certification's data comes from."""

    RNCP_EXPORT = "RNCP_EXPORT"
    MANUAL = "MANUAL"


class CodeScheme(StrEnum):
    """Classification schemes attached to certifications."""

    NSF = "NSF"
    ROME = "ROME"
    FORMACODE = "FORMACODE"


# ABREGE/CODE values of national diplomas and degrees (FORMATS.md §1.4).
_DIPLOMA_ABBREVIATIONS = frozenset(
    {
        "CAP", "CAPA", "CAPD", "BP", "BPA", "BAC PRO", "BMA", "BTS", "BTSA", "BTSMARIT", "BUT", "DUT",
        "DEUST", "LICENCE", "LICENCE PROFESSIONNELLE", "MASTER", "DOCTORAT", "TITRE INGENIEUR",
        "DIPVIGRM", "DIPVIGRL", "GRADE_MASTER", "GRADE_LICENCE", "DIPLOVIS", "CS", "DE", "DEJEPS",
        "DESJEPS", "BPJEPS", "CPJEPS", "DSP", "DNMADE", "DNSP", "DNA", "DNSEP", "DEEA", "BA", "CA", "MC",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Upper-cases and strips accents, for comparisons that ignore them."""
    # Dropping what ASCII cannot hold removes the combining accents that NFKD split off.
    return (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    )


def derive_kind(
    abbreviation_code: str | None,
    title: str,
    certifier_names: Iterable[str],
    registration_type: RegistrationType | None,
) -> Kind:
    """Derives the kind of a certification from its RNCP abbreviation, title and certifiers."""
    abbreviation = fold(abbreviation_code or "").strip()
    folded_title = fold(title).strip()
    metallurgy = any(
        "UIMM" in fold(name) or "METALLURGIE" in fold(name) for name in certifier_names
    )
    if abbreviation == "TP" or folded_title.startswith(
        ("TP ", "TP-", "TITRE PROFESSIONNEL")
    ):
        return Kind.TITRE_PROFESSIONNEL
    if folded_title.startswith("TPM") or (
        metallurgy and "TITRE A FINALITE PROFESSIONNELLE" in folded_title
    ):
        return Kind.TPM
    is_cqp = (
        abbreviation.startswith("CQP")
        or folded_title.startswith("CQP")
        or "CERTIFICAT DE QUALIFICATION PROFESSIONNELLE" in folded_title
    )
    if is_cqp:
        return Kind.CQPM if metallurgy or folded_title.startswith("CQPM") else Kind.CQP
    if abbreviation in _DIPLOMA_ABBREVIATIONS:
        return Kind.DIPLOME
    if registration_type is RegistrationType.BY_RIGHT and abbreviation not in (
        "",
        "AUTRE",
    ):
        return Kind.DIPLOME
    return Kind.OTHER


def default_retention(kind: Kind) -> tuple[RetentionPolicy, int | None]:
    """Returns the default retention of acquired blocks for a kind (DOMAIN.md §2).

    Diploma blocks are kept five years; elsewhere the missing blocks may be obtained within the
    lifetime of the certification (for a TP, of its version).
    """
    if kind is Kind.DIPLOME:
        return RetentionPolicy.FIXED_YEARS, 5
    return RetentionPolicy.UNTIL_END_DATE, None


def is_active_on(
    start_date: date | None, end_date: date | None, rncp_active: bool, day: date
) -> bool:
    """Tells whether a registration is in force on a day.

    The dates decide when they are known; a registration without an end date (old "de droit"
    fiches) is active only if the RNCP says so.
    """
    if start_date is not None and day < start_date:
        return False
    if end_date is not None:
        return day <= end_date
    return rncp_active


_BULLET = re.compile(r"^(?:[•●▪◦*\-–]|o(?=\s))\s*")
_SEPARATORS = re.compile(r"\s{2,}|\n+|\s[•●▪◦]\s")
_WORD = re.compile(r"[^\W\d_]{2,}")


def split_competences(text: str | None) -> list[str]:
    """Splits the free text of a block's competences into items (runs of spaces, bullets)."""
    if not text:
        return []
    items = []
    for piece in _SEPARATORS.split(text):
        item = _BULLET.sub("", piece.strip()).strip()
        if _WORD.search(item):
            items.append(item)
    return items

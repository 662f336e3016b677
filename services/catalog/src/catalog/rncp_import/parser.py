"""Streaming reader of the France compétences RNCP open-data export (XML v4.x, plain or zipped).

Memory stays bounded whatever the file size: ``lxml.etree.iterparse`` hands over one ``FICHE``
at a time, which is cleared once read. Parsing is safe: a document with a DTD is refused
outright (so no entity can be declared, expanded or fetched), the network is never used, and
libxml2's limits on text-node size stay on.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from catalog.certification.content import (
    BlockRecord,
    CertifierRecord,
    CodeRecord,
    CorrespondenceRecord,
    FicheRecord,
)
from catalog.certification.rules import (
    BLOCK_CODE_PATTERN,
    RNCP_CODE,
    CodeScheme,
    RegistrationType,
)

SUPPORTED_MAJOR_VERSION = "4"
_BLOCK_CODE = re.compile(BLOCK_CODE_PATTERN)
_LINEAGE_CODE = re.compile(r"^(RNCP|RS)\d{1,6}$")
_LEVEL = re.compile(r"^NIV([1-8])$")
_HEAD_BYTES = 1 << 20


class ExportFormatError(Exception):
    """The file is not a readable RNCP export; the message tells the user what is wrong."""


@dataclass(frozen=True, slots=True)
class SkippedFiche:
    """A fiche left out of the import, and why."""

    rncp_code: str | None
    reason: str


class _InvalidFicheError(Exception):
    """One fiche cannot be imported; the others can."""


def _text(element: Any, path: str) -> str | None:
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _texts(element: Any) -> dict[str, str | None]:
    """Stripped texts of an element's direct children by tag, in one pass (findtext is slow)."""
    texts: dict[str, str | None] = {}
    for child in element:
        value = child.text
        texts.setdefault(child.tag, (value.strip() or None) if value else None)
    return texts


def _date(texts: dict[str, str | None], path: str) -> date | None:
    raw = texts.get(path)
    if raw is None:
        return None
    try:
        day, month, year = raw.split("/")
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise _InvalidFicheError(f"{path} {raw!r} is not a date JJ/MM/AAAA") from error


def _yes(value: str | None) -> bool:
    return value is not None and value.strip().casefold() == "oui"


def _access_route_open(fiche: Any, tag: str) -> tuple[bool, str | None]:
    # v4: <SI_JURY_VAE><ACTIF>Oui</ACTIF><COMPOSITION>…</COMPOSITION></SI_JURY_VAE>; before: plain text.
    route = fiche.find(tag)
    if route is None:
        return False, None
    if len(route):
        return _yes(route.findtext("ACTIF")), _text(route, "COMPOSITION")
    return _yes(route.text), None


def _int(texts: dict[str, str | None], path: str) -> int | None:
    raw = texts.get(path)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise _InvalidFicheError(f"{path} {raw!r} is not a whole number") from error


def _codes(fiche: Any) -> tuple[CodeRecord, ...]:
    codes: dict[tuple[str, str], CodeRecord] = {}
    for scheme, path in (
        (CodeScheme.NSF, "CODES_NSF/NSF"),
        (CodeScheme.ROME, "CODES_ROME/ROME"),
        (CodeScheme.FORMACODE, "FORMACODES/FORMACODE"),
    ):
        for element in fiche.iterfind(path):
            texts = _texts(element)
            code = texts.get("CODE")
            if code is None:
                continue
            label = texts.get("LIBELLE") or texts.get("INTITULE")
            codes.setdefault(
                (scheme.value, code), CodeRecord(scheme.value, code, label)
            )
    return tuple(codes.values())


def _blocks(fiche: Any, rncp_code: str) -> tuple[BlockRecord, ...]:
    blocks: dict[str, BlockRecord] = {}
    for element in fiche.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
        texts = _texts(element)
        code = texts.get("CODE")
        title = texts.get("LIBELLE") or texts.get("INTITULE")
        if code is None or title is None:
            raise _InvalidFicheError("a BLOC_COMPETENCES has no CODE or no LIBELLE")
        if not _BLOCK_CODE.match(code):
            raise _InvalidFicheError(
                f"bloc code {code!r} is not of the form {rncp_code}BC01"
            )
        if code.isdigit():  # a few real fiches carry a bare "01"
            code = f"{rncp_code}BC{int(code):02d}"
        blocks.setdefault(
            code,
            BlockRecord(
                code,
                title,
                texts.get("LISTE_COMPETENCES"),
                texts.get("MODALITES_EVALUATION"),
            ),
        )
    return tuple(sorted(blocks.values(), key=lambda block: block.code))


def _certifiers(fiche: Any) -> tuple[CertifierRecord, ...]:
    certifiers = []
    for element in fiche.iterfind("CERTIFICATEURS/CERTIFICATEUR"):
        texts = _texts(element)
        name = texts.get("NOM_CERTIFICATEUR")
        if name is None:
            continue
        siret = texts.get("SIRET_CERTIFICATEUR")
        certifiers.append(
            CertifierRecord(
                name=name,
                siret=siret if siret and siret.isdigit() and len(siret) == 14 else None,
                active=(texts.get("ETAT_CERTIFICATEUR") or "Actif").casefold()
                == "actif",
                website=texts.get("SITE_INTERNET"),
            )
        )
    return tuple(certifiers)


_HABILITATIONS = {
    "HABILITATION_FORMER": "TRAIN",
    "HABILITATION_ORGANISER": "ASSESS",
    "HABILITATION_ORGA_FORM": "TRAIN_AND_ASSESS",
}
_PARTNER_STATES = {"actif": "ACTIVE", "inactif": "INACTIVE", "supprimé": "REMOVED"}


def _partners(fiche: Any) -> tuple[dict[str, Any], ...]:
    partners = []
    for element in fiche.iterfind("PARTENAIRES/PARTENAIRE"):
        texts = _texts(element)
        name = texts.get("NOM_PARTENAIRE")
        if name is None:
            continue
        habilitation = texts.get("HABILITATION_PARTENAIRE")
        state = (texts.get("ETAT_HABILITATION") or "").casefold()
        partners.append(
            {
                "name": name,
                "siret": texts.get("SIRET_PARTENAIRE"),
                "habilitation": _HABILITATIONS.get(habilitation or "", habilitation),
                "state": _PARTNER_STATES.get(state, state.upper() or None),
            }
        )
    return tuple(partners)


def _statistics(fiche: Any) -> tuple[dict[str, int], ...]:
    fields = {
        "year": "ANNEE",
        "certified": "NOMBRE_CERTIFIES",
        "certified_by_vae": "NOMBRE_CERTIFIES_VAE",
        "employment_rate_6_months": "TAUX_INSERTION_GLOBAL_6MOIS",
        "job_employment_rate_2_years": "TAUX_INSERTION_METIER_2ANS",
    }
    rows = []
    for element in fiche.iterfind("STATISTIQUES_PROMOTIONS/STATISTIQUES_PROMOTION"):
        texts = _texts(element)
        row = {
            name: value
            for name, tag in fields.items()
            if (value := _int(texts, tag)) is not None
        }
        if "year" in row:
            rows.append(row)
    return tuple(sorted(rows, key=lambda row: row["year"]))


def _lineage(fiche: Any, wrapped: str, flat: str) -> tuple[str, ...]:
    codes = [element.text for element in fiche.iterfind(wrapped)]
    codes += [
        element.text for element in fiche.iterfind(flat) if not len(element)
    ]  # v3 and older
    return tuple(
        dict.fromkeys(c.strip() for c in codes if c and _LINEAGE_CODE.match(c.strip()))
    )


def _correspondences(fiche: Any) -> tuple[CorrespondenceRecord, ...]:
    records = []
    for element in fiche.iterfind("CORRESPONDANCES/CORRESPONDANCE"):
        destination = _text(element, "DESTINATION/NUMERO_FICHE")
        if destination is None:
            continue
        records.append(
            CorrespondenceRecord(
                source_block_codes=tuple(
                    c.strip()
                    for c in element.xpath("SOURCE/BLOC_COMPETENCES/CODE/text()")
                    if c.strip()
                ),
                destination_rncp_code=destination,
                destination_block_codes=tuple(
                    c.strip()
                    for c in element.xpath("DESTINATION/BLOC_COMPETENCES/CODE/text()")
                    if c.strip()
                ),
            )
        )
    return tuple(records)


_REGISTRATION_TYPES = {
    "enregistrement de droit": RegistrationType.BY_RIGHT,
    "enregistrement sur demande": RegistrationType.ON_REQUEST,
}


def _level(fiche: Any) -> int | None:
    match = _LEVEL.match(_text(fiche, "NOMENCLATURE_EUROPE/NIVEAU") or "")
    return int(match.group(1)) if match else None


def read_fiche(fiche: Any) -> FicheRecord | SkippedFiche:
    """Turns one ``FICHE`` element into a record, or says why it is skipped."""
    top = _texts(fiche)
    rncp_code = top.get("NUMERO_FICHE")
    if rncp_code is None:
        return SkippedFiche(None, "the fiche has no NUMERO_FICHE")
    if not RNCP_CODE.match(rncp_code):
        if rncp_code.startswith("RS"):
            return SkippedFiche(
                rncp_code, "fiche of the Répertoire spécifique: outside the VAE catalog"
            )
        return SkippedFiche(
            rncp_code,
            f"NUMERO_FICHE {rncp_code!r} is not an RNCP number like RNCP34691",
        )
    title = top.get("INTITULE")
    if title is None:
        return SkippedFiche(rncp_code, "the fiche has no INTITULE")
    try:
        vae_eligible, vae_jury = _access_route_open(fiche, "SI_JURY_VAE")
        record = FicheRecord(
            rncp_code=rncp_code,
            source_id=_int(top, "ID_FICHE"),
            title=title,
            abbreviation_code=_text(fiche, "ABREGE/CODE"),
            abbreviation_label=_text(fiche, "ABREGE/LIBELLE")
            or _text(fiche, "ABREGE/INTITULE"),
            fiche_state=top.get("ETAT_FICHE"),
            level=_level(fiche),
            registration_type=_REGISTRATION_TYPES.get(
                (top.get("TYPE_ENREGISTREMENT") or "").casefold()
            ),
            rncp_active=_yes(top.get("ACTIF")),
            vae_eligible=vae_eligible,
            vae_jury_composition=vae_jury,
            start_date=_date(top, "DATE_EFFET") or _date(top, "DATE_DECISION"),
            end_date=_date(top, "DATE_FIN_ENREGISTREMENT"),
            delivery_deadline_date=_date(top, "DATE_LIMITE_DELIVRANCE"),
            decision_date=_date(top, "DATE_DECISION"),
            activities=top.get("ACTIVITES_VISEES"),
            capabilities=top.get("CAPACITES_ATTESTEES"),
            sectors=top.get("SECTEURS_ACTIVITE"),
            job_types=top.get("TYPE_EMPLOI_ACCESSIBLES"),
            description_urls=tuple((top.get("LIEN_URL_DESCRIPTION") or "").split()),
            statistics=_statistics(fiche),
            partners=_partners(fiche),
            certifiers=_certifiers(fiche),
            codes=_codes(fiche),
            blocks=_blocks(fiche, rncp_code),
            previous_codes=_lineage(
                fiche,
                "ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/ID_FICHE_ANCIENNE_CERTIFICATION",
                "ANCIENNE_CERTIFICATION",
            ),
            next_codes=_lineage(
                fiche,
                "NOUVELLES_CERTIFICATIONS/NOUVELLE_CERTIFICATION/ID_FICHE_NOUVELLE_CERTIFICATION",
                "NOUVELLE_CERTIFICATION",
            ),
            correspondences=_correspondences(fiche),
        )
    except _InvalidFicheError as error:
        return SkippedFiche(rncp_code, str(error))
    return record.with_hash()


class RncpExport:
    """An RNCP export file (``.xml`` or the ``.zip`` France compétences publishes), read lazily."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total_bytes = path.stat().st_size
        self.version: str | None = None
        self._raw: IO[bytes] | None = None

    @property
    def bytes_read(self) -> int:
        """How far into the file (compressed bytes for a zip) the reader has gone."""
        if self._raw is None or self._raw.closed:
            return self.total_bytes if self.version else 0
        return self._raw.tell()

    def _open_xml(self, raw: IO[bytes]) -> IO[bytes]:
        if raw.read(4) != b"PK\x03\x04":
            raw.seek(0)
            return raw
        raw.seek(0)
        try:
            archive = zipfile.ZipFile(raw)
        except zipfile.BadZipFile as error:
            raise ExportFormatError(
                f"The zip file is damaged or truncated ({error})."
            ) from error
        members = [
            info
            for info in archive.infolist()
            if info.filename.lower().endswith(".xml")
        ]
        if len(members) > 1:
            members = [m for m in members if "rncp" in m.filename.lower()]
        if len(members) != 1:
            raise ExportFormatError(
                "The zip must hold exactly one RNCP XML export (export_fiches_RNCP_V4_1_AAAA-MM-JJ.xml); "
                f"it holds {len(members)}."
            )
        return archive.open(members[0])

    def _check_head(self, stream: IO[bytes]) -> None:
        head = stream.read(_HEAD_BYTES)
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise ExportFormatError(
                "The file is neither an XML document nor a zip archive: expected the RNCP XML export."
            )
        parser = etree.XMLPullParser(
            events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        )
        try:
            parser.feed(head)
            for _event, element in parser.read_events():
                element = cast(Any, element)
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise ExportFormatError(
                        "The XML declares a DTD; RNCP exports have none and DTDs are refused."
                    )
                if element.tag != "FICHES":
                    raise ExportFormatError(
                        f"The XML root element is <{element.tag}>, not <FICHES>: this is not an RNCP export."
                    )
                return
        except etree.XMLSyntaxError as error:
            raise ExportFormatError(
                f"The XML is malformed: {error}. Nothing was imported."
            ) from error
        raise ExportFormatError(
            "No XML root element in the first megabyte: this is not an RNCP export."
        )

    def __iter__(self) -> Iterator[FicheRecord | SkippedFiche]:
        with self.path.open("rb") as raw:
            self._raw = raw
            head_stream = self._open_xml(raw)
            self._check_head(head_stream)
            if head_stream is not raw:
                head_stream.close()
            raw.seek(0)
            stream = self._open_xml(raw)
            context = etree.iterparse(
                stream,
                events=("end",),
                tag=("FICHE", "VERSION_FLUX"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                remove_comments=True,
                remove_pis=True,
            )
            try:
                for _event, element in context:
                    if element.tag == "VERSION_FLUX":
                        self._check_version(element.text)
                        continue
                    if self.version is None:
                        raise ExportFormatError(
                            "A FICHE comes before VERSION_FLUX: this is not an RNCP v4 export."
                        )
                    yield read_fiche(element)
                    element.clear(keep_tail=False)
                    parent = element.getparent()
                    while element.getprevious() is not None and parent is not None:
                        del parent[0]
            except etree.XMLSyntaxError as error:
                raise ExportFormatError(
                    f"The XML is malformed or truncated (line {error.lineno}): {error.msg}. Nothing was imported."
                ) from error
            except (zipfile.BadZipFile, EOFError) as error:
                raise ExportFormatError(
                    f"The zip archive is damaged or truncated ({error})."
                ) from error
            finally:
                stream.close()
            if self.version is None:
                raise ExportFormatError(
                    "The document has no VERSION_FLUX: this is not an RNCP v4 export."
                )

    def _check_version(self, text: str | None) -> None:
        version = (text or "").strip()
        if version.split(".")[0] != SUPPORTED_MAJOR_VERSION:
            raise ExportFormatError(
                f"VERSION_FLUX is {version or 'empty'}; this importer reads version 4.x of the RNCP export."
            )
        self.version = version

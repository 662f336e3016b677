"""Writes the catalog as an LHEO 2.3 offer document, one formation at a time.

LHEO (Langage Harmonisé d'Échange d'informations sur l'Offre de formation, namespace
``http://lheo.gouv.fr/2.3``) describes training offers. A certification open to VAE is written
as one ``formation``: the VAE route to that certification. LHEO's mandatory elements are
filled as follows, from the catalog when it knows the value and otherwise with a statement
that is true of every VAE route (never with an invented fact):

``formation``
    ``@numero`` ``VAE-<RNCP code>``; ``@datecrea``/``@datemaj`` the catalog's creation and
    update dates of the certification (AAAAMMJJ).
``domaine-formation``
    the certification's Formacodes (≤ 5), NSF groups (the 3 digits of its NSF codes, ≤ 3) and
    ROME codes (≤ 5); no ``@ref`` version, which the RNCP export does not state.
``intitule-formation``
    « Validation des acquis de l'expérience (VAE) : » and the RNCP title (cut to 255).
``objectif-formation``
    obtaining the certification, named with its RNCP number, through VAE.
``resultats-attendus``
    the RNCP's « capacités attestées » (cut to 3,000), else the award of the certification
    or of blocks.
``contenu-formation``
    what a VAE route consists of (recevabilité, dossier, jury) and the blocks of competences.
``certifiante``
    1: the route leads to a certification.
``contact-formation``
    the certifier's website when the catalog knows it; the RNCP gives no contact person.
``parcours-de-formation``
    2 (individualisé): a VAE is an individual route.
``code-niveau-entree``
    1 (sans niveau spécifique): VAE requires experience, not a prior diploma.
``objectif-general-formation``, ``certification``, ``code-niveau-sortie``, ``url-formation``
    6 (certification); ``code-RNCP`` as a bare number (as the ONISEP export writes it; the
    XSD would take « RNCP… » as well) and ``code-CERTIFINFO`` when known; the level on the 2019 scale
    (11–18 = niveaux 1–8); the fiche's page at France compétences and its description URLs.
``action``
    ``rythme-formation`` at the candidate's pace; ``code-public-vise`` 83056 « Tout public »
    (Formacode public dictionary V10) with ``info-public-vise`` « anyone with experience
    related to the certification »; ``niveau-entree-obligatoire`` 0; ``modalites-alternance``
    and ``conditions-specifiques`` state what applies to a VAE; ``modalites-enseignement``
    1 (mixte: the dossier is prepared remotely, the jury usually meets the candidate);
    ``prise-en-charge-frais-possible`` 1 (a VAE can be funded, e.g. by the CPF);
    ``modalites-entrees-sorties`` 1 (entrées/sorties permanentes).
``session``
    ``periode`` the registration of the certification at the RNCP: its start (or 00000000,
    LHEO's unknown start) to its end (or 99999999, unknown end); ``adresse-inscription`` must
    hold a postal address and the RNCP export holds none: it reads « Adresse non
    communiquée », 00000, « Non communiquée »; the blocks of competences go in
    ``blocs-competences`` (``validation-blocs`` 2, mixte: a jury may validate all or some).
``organisme-formation-responsable``
    the certifier (certificateur), who answers for the certification: its SIRET (an active
    certifier with a SIRET first), its name as ``nom-organisme`` and ``raison-sociale``, its
    website in the coordinates; ``numero-activite`` 99999999999, the placeholder the ONISEP
    LHEO export uses, since a certifier is not a declared training organisation.
    Certifications none of whose certifiers has a SIRET cannot name a responsible organisation
    and are left out by the query that feeds this writer.

Texts are cut to LHEO's lengths (ending with « … ») and cleared of characters XML 1.0 cannot
carry; lxml escapes the rest (``&``, ``<``).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from lxml import etree

NAMESPACE: Final = "http://lheo.gouv.fr/2.3"
MEDIA_TYPE: Final = "application/xml; charset=utf-8"
_NS: Final = "{" + NAMESPACE + "}"
# The default namespace (lxml's stubs do not type a None prefix).
_NSMAP: Final[Any] = {None: NAMESPACE}

PUBLIC_VISE_TOUT_PUBLIC: Final = "83056"
UNKNOWN_START: Final = "00000000"
UNKNOWN_END: Final = "99999999"
UNKNOWN_ACTIVITY_NUMBER: Final = "99999999999"
FRANCE_COMPETENCES_FICHE: Final = (
    "https://www.francecompetences.fr/recherche/rncp/{number}/"
)

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NSF_GROUP = re.compile(r"\d{3}")
_ROME = re.compile(r"[A-Z]\d{4}")
_FORMACODE = re.compile(r"\d{5}")


@dataclass(frozen=True, slots=True)
class OfferCertifier:
    """A certifier of a certification, as the export needs it."""

    name: str
    siret: str | None
    website: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class OfferBlock:
    """A block of competences, as the export needs it."""

    code: str
    title: str


@dataclass(frozen=True, slots=True)
class OfferCertification:
    """What the export writes of one certification open to VAE."""

    rncp_code: str
    title: str
    level: int | None
    certif_info_id: int | None
    start_date: date | None
    end_date: date | None
    capabilities: str | None
    description_urls: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    formacodes: tuple[str, ...]
    nsf_codes: tuple[str, ...]
    rome_codes: tuple[str, ...]
    blocks: tuple[OfferBlock, ...]
    certifiers: tuple[OfferCertifier, ...]


def clean(value: str | None, limit: int) -> str:
    """Returns text XML can carry, cut to ``limit`` characters (« … » marks a cut)."""
    text = _NOT_XML.sub("", value or "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _day(value: date | datetime | None, unknown: str) -> str:
    return value.strftime("%Y%m%d") if value is not None else unknown


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _NS + tag, attributes or None)
    if text is not None:
        element.text = text
    return element


def _responsible(certifiers: tuple[OfferCertifier, ...]) -> OfferCertifier | None:
    with_siret = [c for c in certifiers if c.siret and len(c.siret) == 14]
    with_siret.sort(key=lambda c: (not c.active, c.name))
    return with_siret[0] if with_siret else None


def _coordinates(parent: Any, website: str | None) -> None:
    coordinates = _sub(parent, "coordonnees")
    url = clean(website, 400)
    if len(url) >= 3:
        _sub(_sub(coordinates, "web"), "urlweb", url)


def _block_code(rncp_code: str, code: str) -> str | None:
    if code.isdigit():
        code = f"{rncp_code}BC{int(code):02d}"
    return code if 8 <= len(code) <= 40 else None


def _reference(parent: Any, number: str, certif_info_id: int | None) -> None:
    reference = _sub(parent, "reference-certification")
    _sub(reference, "reference-code-RNCP", number)
    if certif_info_id is not None:
        _sub(reference, "reference-code-CERTIFINFO", str(certif_info_id))


def formation(record: OfferCertification) -> Any:
    """Builds the ``formation`` element of a certification open to VAE.

    Raises
    ------
    ValueError
        None of the certification's certifiers has a SIRET (LHEO needs a responsible body).
    """
    responsible = _responsible(record.certifiers)
    if responsible is None:
        raise ValueError(f"{record.rncp_code} has no certifier with a SIRET")
    number = record.rncp_code.removeprefix("RNCP")
    title = clean(record.title, 1000) or record.rncp_code
    blocks = [
        (code, clean(block.title, 500) or code)
        for block in record.blocks
        if (code := _block_code(record.rncp_code, block.code)) is not None
    ]
    element = etree.Element(
        _NS + "formation",
        nsmap=_NSMAP,
        numero=f"VAE-{record.rncp_code}",
        datecrea=_day(record.created_at, UNKNOWN_START),
        datemaj=_day(record.updated_at, UNKNOWN_START),
    )

    domain = _sub(element, "domaine-formation")
    for code in [c for c in record.formacodes if _FORMACODE.fullmatch(c)][:5]:
        _sub(domain, "code-FORMACODE", code)
    groups = dict.fromkeys(c[:3] for c in record.nsf_codes if _NSF_GROUP.match(c))
    for group in list(groups)[:3]:
        _sub(domain, "code-NSF", group)
    for code in [c for c in record.rome_codes if _ROME.fullmatch(c)][:5]:
        _sub(domain, "code-ROME", code)

    _sub(
        element,
        "intitule-formation",
        clean(f"Validation des acquis de l'expérience (VAE) : {title}", 255),
    )
    _sub(
        element,
        "objectif-formation",
        clean(
            f"Obtenir par la validation des acquis de l'expérience (VAE) tout ou partie de la "
            f"certification « {title} », enregistrée au RNCP sous le numéro {record.rncp_code}.",
            3000,
        ),
    )
    capabilities = clean(record.capabilities, 3000)
    _sub(
        element,
        "resultats-attendus",
        capabilities
        or clean(
            f"Délivrance de la certification « {title} » ou, en cas de validation partielle, "
            "des blocs de compétences acquis.",
            3000,
        ),
    )
    content = (
        "La VAE n'est pas une formation : le candidat fait reconnaître par un jury les "
        "compétences acquises par son expérience. Étapes : demande de recevabilité auprès du "
        "certificateur, dossier de validation, entretien avec le jury."
    )
    if blocks:
        content += " Blocs de compétences : " + " ; ".join(
            f"{code} {block_title}" for code, block_title in blocks
        )
    _sub(element, "contenu-formation", clean(content, 3000))
    _sub(element, "certifiante", "1")
    _coordinates(_sub(element, "contact-formation"), responsible.website)
    _sub(element, "parcours-de-formation", "2")
    _sub(element, "code-niveau-entree", "1")
    _sub(element, "objectif-general-formation", "6")
    certification = _sub(element, "certification")
    _sub(certification, "code-RNCP", number)
    if record.certif_info_id is not None:
        _sub(certification, "code-CERTIFINFO", str(record.certif_info_id))
    if record.level is not None and 1 <= record.level <= 8:
        _sub(element, "code-niveau-sortie", str(10 + record.level))
    urls = dict.fromkeys(
        [FRANCE_COMPETENCES_FICHE.format(number=number)]
        + [
            u
            for url in record.description_urls
            if 3 <= len(u := clean(url, 401)) <= 400
        ]
    )
    url_formation = _sub(element, "url-formation")
    for url in list(urls)[:3]:
        _sub(url_formation, "urlweb", url)

    action = _sub(element, "action", numero=f"VAE-{record.rncp_code}")
    _sub(
        action,
        "rythme-formation",
        "Au rythme du candidat : démarche individuelle de validation des acquis de l'expérience.",
    )
    _sub(action, "code-public-vise", PUBLIC_VISE_TOUT_PUBLIC, ref="V10")
    _sub(
        action,
        "info-public-vise",
        "Toute personne justifiant d'une expérience en rapport direct avec la certification visée.",
    )
    _sub(action, "niveau-entree-obligatoire", "0")
    _sub(
        action,
        "modalites-alternance",
        "Sans objet : la VAE ne comporte pas d'alternance.",
    )
    _sub(action, "modalites-enseignement", "1")
    _sub(
        action,
        "conditions-specifiques",
        "Justifier d'une expérience en rapport direct avec la certification ; la demande "
        "doit être déclarée recevable par le certificateur avant le passage devant le jury.",
    )
    _sub(action, "prise-en-charge-frais-possible", "1")
    _sub(action, "modalites-entrees-sorties", "1")

    session = _sub(action, "session", numero=f"VAE-{record.rncp_code}")
    period = _sub(session, "periode")
    _sub(period, "debut", _day(record.start_date, UNKNOWN_START))
    _sub(period, "fin", _day(record.end_date, UNKNOWN_END))
    address = _sub(_sub(session, "adresse-inscription"), "adresse")
    _sub(address, "ligne", "Adresse non communiquée")
    _sub(address, "codepostal", "00000")
    _sub(address, "ville", "Non communiquée")
    _sub(
        session,
        "modalites-inscription",
        "Demande de recevabilité à adresser au certificateur (organisme responsable).",
    )
    _reference(session, number, record.certif_info_id)
    if blocks:
        group = _sub(session, "blocs-competences")
        _sub(group, "validation-blocs", "2")
        _reference(group, number, record.certif_info_id)
        for code, block_title in blocks:
            block = _sub(group, "bloc-competences")
            _sub(block, "libelle-bloc", block_title)
            _sub(block, "code-bloc", code)

    organisation = _sub(element, "organisme-formation-responsable")
    _sub(organisation, "numero-activite", UNKNOWN_ACTIVITY_NUMBER)
    _sub(_sub(organisation, "SIRET-organisme-formation"), "SIRET", responsible.siret)
    name = clean(responsible.name, 250) or "Certificateur"
    _sub(organisation, "nom-organisme", name)
    _sub(organisation, "raison-sociale", name)
    _coordinates(_sub(organisation, "coordonnees-organisme"), responsible.website)
    _coordinates(_sub(organisation, "contact-organisme"), responsible.website)
    return element


_DECLARED: Final = f'<formation xmlns="{NAMESPACE}"'.encode()


def serialize(element: Any) -> bytes:
    """Serialises a formation for the inside of ``lheo``, whose namespace it needs not declare.

    lxml's C serialiser is several times faster than writing node by node through ``xmlfile``
    contexts, but declares the default namespace on the element it serialises: that one
    declaration, the first thing after the tag name, is dropped.
    """
    data: bytes = etree.tostring(element, encoding="utf-8", xml_declaration=False)
    if not data.startswith(_DECLARED):
        raise ValueError("a formation must carry the LHEO namespace as its default")
    return b"<formation" + data[len(_DECLARED) :]


class _Sink:
    """Collects what lxml writes until the caller takes it."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self.size += len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


class LheoDocument:
    """An LHEO document written incrementally: lxml's ``xmlfile`` writes the envelope, each
    formation is serialised as it is added. Open it, add formations, close it; each step hands
    back the bytes ready to send (often none)."""

    def __init__(self, *, generated_on: date, chunk_bytes: int = 64 * 1024) -> None:
        self._generated_on = generated_on
        self._chunk_bytes = chunk_bytes
        self._sink = _Sink()
        self._stack = contextlib.ExitStack()
        self._writer: Any = None
        self.formations = 0

    def open(self) -> bytes:
        """Writes the declaration and opens ``lheo`` and ``offres``."""
        self._writer = self._stack.enter_context(
            etree.xmlfile(self._sink, encoding="utf-8")
        )
        self._writer.write_declaration()
        day = _day(self._generated_on, UNKNOWN_START)
        self._stack.enter_context(
            self._writer.element(_NS + "lheo", nsmap=_NSMAP, attrib={"datemaj": day})
        )
        self._stack.enter_context(self._writer.element(_NS + "offres"))
        return self._take(force=True)

    def add(self, record: OfferCertification) -> bytes:
        """Writes one formation; returns a chunk once enough bytes are waiting."""
        data = serialize(formation(record))
        # Whatever xmlfile holds goes first; it has written ``<offres>`` whole, and resumes
        # after these bytes with the next formation or the closing tags.
        self._writer.flush()
        self._sink.write(data)
        self.formations += 1
        return self._take(force=False)

    def close(self) -> bytes:
        """Closes the document and returns its last bytes.

        Raises
        ------
        ValueError
            No formation was written: LHEO's ``offres`` needs at least one.
        """
        if not self.formations:
            self._stack.close()
            raise ValueError("an LHEO document needs at least one formation")
        self._stack.close()
        return self._sink.take()

    def abort(self) -> None:
        """Drops a document that will not be finished."""
        with contextlib.suppress(Exception):
            self._stack.close()
        self._sink.take()

    def _take(self, *, force: bool) -> bytes:
        self._writer.flush()
        if force or self._sink.size >= self._chunk_bytes:
            return self._sink.take()
        return b""


def write_document(records: list[OfferCertification], *, generated_on: date) -> bytes:
    """Writes a whole LHEO document at once (examples and tests; the export streams)."""
    document = LheoDocument(generated_on=generated_on)
    parts = [document.open()]
    parts += [document.add(record) for record in records]
    parts.append(document.close())
    return b"".join(parts)

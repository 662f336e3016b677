"""The public calendar of exam sessions as LHEO 2.3 XML, written incrementally.

LHEO (Langage Harmonisé d'Échange d'informations sur l'Offre de formation) describes an offer as
``formation`` → ``action`` → ``session``. The calendar maps onto it so:

- one ``formation`` per certification *and* exam centre: the route to that certification
  through a VAE jury at that centre. LHEO gives a formation exactly one
  ``organisme-formation-responsable``, the exam centre, so a certification offered by two
  centres is two formations (``numero`` = ``<RNCP code>/<centre id>``);
- one ``action`` per site (plateau technique) of the centre where such sessions take place
  (``numero`` = the site id);
- one ``session`` per exam session (session d'examen) (``numero`` = the session id).

Mandatory elements, and what fills them
---------------------------------------
From the service's data:

- ``intitule-formation``: « Validation des acquis de l'expérience (VAE) : » and the
  certification's title as copied on the session; ``certification/code-RNCP``: its RNCP code.
- ``session/periode``: first and last day of the session in Europe/Paris (AAAAMMJJ).
- ``session/adresse-inscription`` and ``action/lieu-de-formation``: the site's name, address
  (wrapped into LHEO's lines of 50 characters, at most four), postal code, city, département,
  the centre's région, country FR.
- ``organisme-formation-responsable``: the exam centre: ``SIRET``, ``nom-organisme`` and
  ``raison-sociale`` (the service keeps one name for a centre: both carry it).

Fixed, and true of every session this service offers:

- ``certifiante`` 1; ``objectif-general-formation`` 6 (certification);
  ``code-niveau-entree`` 1 (sans niveau spécifique: VAE asks for experience, not a diploma);
  ``niveau-entree-obligatoire`` 0; ``parcours-de-formation`` 2 (individualisé: each candidate's
  route is their own); ``modalites-enseignement`` 0 (présentiel: the session takes place at
  the site); ``modalites-entrees-sorties`` 0 (dates fixes).
- ``code-public-vise`` 83056 (« Tout public », FORMACODE table of public codes, V10) with
  ``info-public-vise`` saying who may register: candidates whose VAE candidacy is admissible.
- ``objectif-formation``, ``resultats-attendus``, ``contenu-formation``, ``rythme-formation``,
  ``modalites-alternance``, ``conditions-specifiques``: short French texts on the VAE jury
  (the rules the service enforces: admissible candidacies, registration closing
  ``convocation_months`` before the session, the procès-verbal per block).
- ``contact-formation``, ``coordonnees-organisme``, ``contact-organisme``: an empty
  ``coordonnees`` (allowed: every child is optional). The service holds no contact person to
  publish, and never publishes people.

What the service does not know, filled with a neutral value:

- ``prise-en-charge-frais-possible`` 0: the service holds no financing data, so the export
  announces none.
- ``numero-activite`` (numéro de déclaration d'activité, 11 characters): exam centres are not
  asked for one; ``99999999999``, the value public exports (ONISEP) give an organisation
  without one.

Optional elements filled when known: ``domaine-formation`` (FORMACODE, NSF, ROME codes),
``code-niveau-sortie`` (11–18 for levels 1–8) and the labels of the blocks in
``blocs-competences`` come from the catalog (the export omits ``blocs-competences`` for a
certification the catalog no longer knows); ``url-formation`` is the fiche's page at France
compétences; ``etat-recrutement`` is 1 (ouvert) while the session is SCHEDULED, before its
registration deadline and with a seat left, else 2 (fermé); ``validation-blocs`` is 2 (mixte:
total or partial validation) when the session assesses every block of the certification,
else 0 (partielle); ``modalites-inscription`` gives the last day to register.

What LHEO cannot carry
----------------------
- Seats: LHEO has no element for a session's capacity or the places left (``recrutement``'s
  ``nb-places`` counts the places of a recruitment meeting and needs a recruitment mode; a
  ``cycle``'s capacities need a cycle type). They go, with the session's kind, state, exact
  start and end, hours of tests and registration deadline, in the session's
  ``<extras info="session-examen">`` (LHEO's own extension point).
- The jury, the session manager and supervisors, and the candidates: never exported (the
  rows read carry none of them).
"""

from __future__ import annotations

import re
import textwrap
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Mapping
from contextlib import AbstractContextManager
from copy import deepcopy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from lxml import etree

from sessions.clients.catalog import CatalogCertification
from sessions.lheo.repository import CalendarRow
from sessions.session.rules import (
    PARIS,
    State,
    registration_deadline,
    session_days,
)

NAMESPACE = "http://lheo.gouv.fr/2.3"
MEDIA_TYPE = "application/xml"
SUBSET_XSD = Path(__file__).with_name("lheo-calendar-subset.xsd")
CHUNK_BYTES = 64 * 1024

TOUT_PUBLIC = "83056"
NO_ACTIVITY_NUMBER = "99999999999"

# Characters XML 1.0 cannot carry (control characters); lxml refuses them.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Element = etree._Element


class _Writer(Protocol):
    """The part of lxml's incremental writer (``etree.xmlfile``) used here."""

    def write_declaration(self) -> None: ...

    def element(
        self,
        tag: str,
        attrib: Mapping[str, str] | None = None,
        nsmap: Mapping[str | None, str] | None = None,
    ) -> AbstractContextManager[None]: ...

    def write(self, *content: Element) -> None: ...

    def flush(self) -> None: ...


# lxml-stubs 0.5.1 does not describe xmlfile (it falls to the stubs' catch-all Any).
_xmlfile: Callable[..., AbstractContextManager[_Writer]] = etree.xmlfile


class _Chunks:
    """Where the writer's bytes land until they are handed to the response."""

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


def _text(value: str, limit: int) -> str:
    """The value as XML can carry it, cut to LHEO's length (never empty)."""
    cleaned = " ".join(_NOT_XML.sub(" ", value).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned or "-"


def _day(moment: datetime) -> str:
    return _yyyymmdd(moment.astimezone(PARIS).date())


def _yyyymmdd(day: date) -> str:
    return day.isoformat().replace("-", "")


# Pieces of the document are built as small trees *without* a namespace and written inside
# the root, which declares LHEO's namespace as the default one: serialised unprefixed, they
# belong to it, and the namespace is declared once for the whole document (lxml would repeat
# the declaration on every piece built in the namespace). One write per piece, not one call
# per element, is what keeps the writer fast.


def _new(name: str, text: str | None = None, **attributes: str) -> Element:
    element = etree.Element(name, attributes)
    element.text = text
    return element


def _add(
    parent: Element, name: str, text: str | None = None, **attributes: str
) -> Element:
    element = etree.SubElement(parent, name, attributes)
    element.text = text
    return element


def _contact(name: str) -> Element:
    """A contact element holding an empty ``coordonnees``: no person is published."""
    contact = _new(name)
    _add(contact, "coordonnees")
    return contact


def _address(row: CalendarRow) -> Element:
    """The site's ``adresse`` (LHEO's lines hold 50 characters, four at most)."""
    lines = textwrap.wrap(_text(row.site_address, 300), 50) or [
        _text(row.site_name, 50)
    ]
    if len(lines) > 4:
        lines = [*lines[:3], _text(" ".join(lines[3:]), 50)]
    address = _new("adresse")
    _add(address, "denomination", _text(row.site_name, 255))
    for line in lines:
        _add(address, "ligne", line)
    _add(address, "codepostal", row.site_postal_code)
    _add(address, "ville", _text(row.site_city, 50))
    _add(address, "departement", row.site_department)
    _add(address, "region", row.region)
    _add(address, "pays", "FR")
    return address


class _Texts:
    """The fixed French texts, which depend only on the rules' figures."""

    def __init__(self, convocation_months: int) -> None:
        by = (
            f"au plus tard {convocation_months} mois avant la session"
            if convocation_months
            else "au plus tard la veille de la session"
        )
        self.resultats = (
            "Décision du jury, consignée au procès-verbal de la session : pour chaque bloc "
            "de compétences évalué, validé ou non validé (validation totale, partielle ou "
            "refus)."
        )
        self.contenu = (
            "Session d'examen devant un jury de validation des acquis de l'expérience, tenue "
            "par un centre d'examen agréé pour la certification, sur les blocs de "
            "compétences indiqués pour chaque session."
        )
        self.rythme = (
            "Épreuves aux dates de chaque session ; heures de début et de fin et durée des "
            "épreuves dans les extras de la session."
        )
        self.public = (
            "Candidats à la VAE dont la candidature a été déclarée recevable par le "
            "certificateur."
        )
        self.alternance = "Sans objet : session d'examen."
        self.conditions = (
            "Inscription d'une candidature VAE recevable par l'organisme qui accompagne le "
            f"candidat, {by}, dans la limite des places."
        )


async def write_calendar(
    rows: AsyncIterable[CalendarRow],
    certifications: Mapping[str, CatalogCertification | None],
    *,
    now: datetime,
    convocation_months: int,
    chunk_bytes: int = CHUNK_BYTES,
) -> AsyncGenerator[bytes, None]:
    """Yields the LHEO document of these rows (in offer order) in chunks of about ``chunk_bytes``.

    Memory stays flat whatever the number of sessions: each session is written as it comes and
    only the current chunk is held. ``lheo``, ``offres``, ``formation`` and ``action`` stay
    open across chunks, so they are entered and left by hand; when the export fails half-way
    they stay open and the client sees a truncated document, never a well-formed partial one.
    """
    texts = _Texts(convocation_months)
    chunks = _Chunks()
    with _xmlfile(chunks, encoding="UTF-8") as writer:
        opened: list[AbstractContextManager[None]] = []

        def open_(
            name: str, nsmap: Mapping[str | None, str] | None = None, **attributes: str
        ) -> None:
            element = writer.element(f"{{{NAMESPACE}}}{name}", attributes, nsmap)
            element.__enter__()
            opened.append(element)

        def close() -> None:
            opened.pop().__exit__(None, None, None)

        writer.write_declaration()
        open_("lheo", {None: NAMESPACE})
        open_("offres")
        formation: CalendarRow | None = None
        site: uuid.UUID | None = None
        address = _new("adresse")
        async for row in rows:
            known = certifications.get(row.rncp_code)
            if formation is None or (row.rncp_code, row.centre_id) != (
                formation.rncp_code,
                formation.centre_id,
            ):
                if formation is not None:
                    close()  # action
                    writer.write(_organisation(formation))
                    close()  # formation
                formation, site = row, None
                open_("formation", numero=f"{row.rncp_code}/{row.centre_id}")
                writer.write(*_formation_head(row, known, texts))
            if row.site_id != site:
                if site is not None:
                    close()  # action
                site, address = row.site_id, _address(row)
                open_("action", numero=str(row.site_id))
                writer.write(*_action_head(row, address, texts))
            writer.write(
                _session(
                    row,
                    known,
                    address,
                    now=now,
                    convocation_months=convocation_months,
                )
            )
            if chunks.size >= chunk_bytes:
                writer.flush()
                yield chunks.take()
        if formation is not None:
            close()  # action
            writer.write(_organisation(formation))
            close()  # formation
        close()  # offres
        close()  # lheo
    yield chunks.take()


def _formation_head(
    row: CalendarRow, known: CatalogCertification | None, texts: _Texts
) -> list[Element]:
    """What a formation holds before its actions."""
    title = _text(row.certification_title, 1000)
    domain = _new("domaine-formation")
    if known is not None:
        for name, codes, size in (
            ("code-FORMACODE", known.formacodes, 5),
            ("code-NSF", known.nsf_codes, 3),
            ("code-ROME", known.rome_codes, 5),
        ):
            kept: list[str] = []
            for code in codes:
                # RNCP NSF codes may carry a function letter (312t): LHEO wants the 3 digits.
                value = code.code.strip()[:size]
                if len(value) == size and value not in kept:
                    kept.append(value)
            for value in kept[:size]:  # at most 5 FORMACODE, 3 NSF, 5 ROME
                _add(domain, name, value)
    head = [
        domain,
        _new(
            "intitule-formation",
            _text(f"Validation des acquis de l'expérience (VAE) : {title}", 255),
        ),
        _new(
            "objectif-formation",
            _text(
                "Obtenir par la validation des acquis de l'expérience (VAE) tout ou partie "
                f"(blocs de compétences) de la certification « {title} » ({row.rncp_code}), "
                "devant un jury réuni en session d'examen.",
                3000,
            ),
        ),
        _new("resultats-attendus", texts.resultats),
        _new("contenu-formation", texts.contenu),
        _new("certifiante", "1"),
        _contact("contact-formation"),
        _new("parcours-de-formation", "2"),
        _new("code-niveau-entree", "1"),
        _new("objectif-general-formation", "6"),
    ]
    certification = _new("certification")
    _add(certification, "code-RNCP", row.rncp_code)
    head.append(certification)
    if known is not None and known.level is not None and 1 <= known.level <= 8:
        head.append(_new("code-niveau-sortie", str(10 + known.level)))
    url = _new("url-formation")
    digits = row.rncp_code.removeprefix("RNCP")
    _add(url, "urlweb", f"https://www.francecompetences.fr/recherche/rncp/{digits}/")
    head.append(url)
    return head


def _action_head(row: CalendarRow, address: Element, texts: _Texts) -> list[Element]:
    """What a site's action holds before its sessions."""
    place = _new("lieu-de-formation")
    _add(place, "coordonnees").append(deepcopy(address))
    return [
        _new("rythme-formation", texts.rythme),
        _new("code-public-vise", TOUT_PUBLIC, ref="V10"),
        _new("info-public-vise", texts.public),
        _new("niveau-entree-obligatoire", "0"),
        _new("modalites-alternance", texts.alternance),
        _new("modalites-enseignement", "0"),
        _new("conditions-specifiques", texts.conditions),
        _new("prise-en-charge-frais-possible", "0"),
        place,
        _new("modalites-entrees-sorties", "0"),
    ]


def _session(
    row: CalendarRow,
    known: CatalogCertification | None,
    address: Element,
    *,
    now: datetime,
    convocation_months: int,
) -> Element:
    """One exam session."""
    first_day, last_day = session_days(row.starts_at, row.ends_at)
    deadline = registration_deadline(row.starts_at, convocation_months)
    seats_left = row.capacity - row.seats_taken
    open_ = row.state == State.SCHEDULED and now < deadline and seats_left > 0
    session = _new(
        "session",
        numero=str(row.session_id),
        datecrea=_day(row.created_at),
        datemaj=_day(row.updated_at),
    )
    period = _add(session, "periode")
    _add(period, "debut", _yyyymmdd(first_day))
    _add(period, "fin", _yyyymmdd(last_day))
    # The site's address, built once per action.
    _add(session, "adresse-inscription").append(deepcopy(address))
    last_registration_day = deadline.astimezone(PARIS).date() - timedelta(days=1)
    _add(
        session,
        "modalites-inscription",
        "Inscription par l'organisme qui accompagne le candidat (candidature VAE "
        f"recevable), jusqu'au {last_registration_day:%d/%m/%Y} inclus.",
    )
    _add(session, "etat-recrutement", "1" if open_ else "2")
    _blocks(session, row, known)
    extras = _add(session, "extras", info="session-examen")
    for info, value in (
        ("nature", row.kind),
        ("etat", row.state),
        ("debut", row.starts_at.astimezone(PARIS).isoformat()),
        ("fin", row.ends_at.astimezone(PARIS).isoformat()),
        ("heures-epreuves", f"{row.test_hours:g}"),
        ("capacite", str(row.capacity)),
        ("places-restantes", str(seats_left)),
        ("cloture-inscriptions", deadline.isoformat()),
    ):
        _add(extras, "extra", value, info=info)
    return session


def _blocks(
    session: Element, row: CalendarRow, known: CatalogCertification | None
) -> None:
    """The assessed blocks, with the catalog's labels (none when the catalog lacks them)."""
    if known is None:
        return
    titles = {block.code: block.title for block in known.blocks}
    blocks = [
        (code, titles[code])
        for code in row.block_codes
        if code in titles and 8 <= len(code) <= 40
    ]
    if not blocks:
        return
    whole = set(row.block_codes) >= set(titles)
    element = _add(session, "blocs-competences")
    _add(element, "validation-blocs", "2" if whole else "0")
    reference = _add(element, "reference-certification")
    _add(reference, "reference-code-RNCP", row.rncp_code)
    for code, title in blocks:
        block = _add(element, "bloc-competences")
        _add(block, "libelle-bloc", _text(title, 500))
        _add(block, "code-bloc", code)


def _organisation(row: CalendarRow) -> Element:
    """The exam centre, after the formation's actions."""
    organisation = _new("organisme-formation-responsable", numero=str(row.centre_id))
    _add(organisation, "numero-activite", NO_ACTIVITY_NUMBER)
    siret = _add(organisation, "SIRET-organisme-formation")
    _add(siret, "SIRET", row.centre_siret)
    _add(organisation, "nom-organisme", _text(row.centre_name, 250))
    _add(organisation, "raison-sociale", _text(row.centre_name, 250))
    organisation.append(_contact("coordonnees-organisme"))
    organisation.append(_contact("contact-organisme"))
    return organisation

"""The LHEO writer without a database: structure, values, lengths, odd characters, chunks."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from sessions.clients.catalog import CatalogCertification
from sessions.lheo.repository import CalendarRow
from sessions.lheo.router import LHEO_EXAMPLE
from sessions.lheo.writer import NAMESPACE, SUBSET_XSD, write_calendar

pytestmark = pytest.mark.asyncio

NS = {"l": NAMESPACE}
NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
CENTRE = uuid.UUID("0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20")
SITE = uuid.UUID("0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31")


def schemas() -> list[etree.XMLSchema]:
    """The project's subset schema, and the official one when LHEO_OFFICIAL_XSD names it."""
    found = [etree.XMLSchema(etree.parse(str(SUBSET_XSD)))]
    official = os.environ.get("LHEO_OFFICIAL_XSD")
    if official:
        found.append(etree.XMLSchema(etree.parse(official)))
    return found


SCHEMAS = schemas()


def valid(document: bytes) -> Any:
    """Parses a document and checks it against every schema at hand."""
    root = etree.fromstring(document)
    for schema in SCHEMAS:
        assert schema.validate(root), schema.error_log
    return root


def row(**overrides: Any) -> CalendarRow:
    """A scheduled session of RNCP38077 at the example centre's site."""
    values: dict[str, Any] = {
        "session_id": uuid.uuid4(),
        "rncp_code": "RNCP38077",
        "certification_title": "Soudeur assembleur industriel",
        "kind": "TITLE",
        "state": "SCHEDULED",
        "block_codes": ["RNCP38077BC01", "RNCP38077BC02"],
        "starts_at": datetime(2027, 3, 15, 7, 30, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 16, 16, tzinfo=UTC),
        "test_hours": 11.5,
        "capacity": 8,
        "seats_taken": 3,
        "region": "84",
        "created_at": datetime(2026, 11, 2, 9, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 10, 16, tzinfo=UTC),
        "centre_id": CENTRE,
        "centre_name": "Centre AFPA de Lyon Vénissieux",
        "centre_siret": "82422814200658",
        "site_id": SITE,
        "site_name": "Plateau soudure",
        "site_address": "12 rue des Forges",
        "site_postal_code": "69200",
        "site_city": "Vénissieux",
        "site_department": "69",
    }
    values.update(overrides)
    return CalendarRow(**values)


def certification(**overrides: Any) -> CatalogCertification:
    """The catalog's view of RNCP38077."""
    values: dict[str, Any] = {
        "rncp_code": "RNCP38077",
        "title": "Soudeur assembleur industriel",
        "kind": "TITRE_PROFESSIONNEL",
        "active": True,
        "registration": {},
        "certifiers": [],
        "blocks": [
            {"code": "RNCP38077BC01", "title": "Souder à plat"},
            {"code": "RNCP38077BC02", "title": "Souder en toutes positions"},
        ],
        "level": 3,
        "formacodes": [{"code": "22454"}],
        "nsf_codes": [{"code": "254s"}, {"code": "254"}],
        "rome_codes": [{"code": "H2913"}],
    }
    values.update(overrides)
    return CatalogCertification.model_validate(values)


async def _aiter(rows: Iterable[CalendarRow]) -> AsyncIterator[CalendarRow]:
    for item in rows:
        yield item


async def export(
    rows: Iterable[CalendarRow],
    known: dict[str, CatalogCertification | None] | None = None,
    **options: Any,
) -> list[bytes]:
    """The chunks the writer yields."""
    return [
        chunk
        async for chunk in write_calendar(
            _aiter(rows),
            {"RNCP38077": certification()} if known is None else known,
            now=options.pop("now", NOW),
            convocation_months=options.pop("convocation_months", 1),
            **options,
        )
    ]


def texts(root: Any, path: str) -> list[str]:
    return [str(element.text) for element in root.xpath(path, namespaces=NS)]


class TestWriteCalendar:
    async def test_writes_one_formation_action_and_session(self) -> None:
        session = row()

        root = valid(b"".join(await export([session])))

        assert root.tag == f"{{{NAMESPACE}}}lheo"
        (formation,) = root.xpath("l:offres/l:formation", namespaces=NS)
        assert formation.get("numero") == f"RNCP38077/{CENTRE}"
        assert texts(formation, "l:certification/l:code-RNCP") == ["RNCP38077"]
        assert texts(formation, "l:code-niveau-sortie") == ["13"]
        assert texts(formation, "l:domaine-formation/l:code-NSF") == ["254"]
        assert texts(formation, "l:domaine-formation/l:code-ROME") == ["H2913"]
        assert texts(formation, "l:intitule-formation") == [
            "Validation des acquis de l'expérience (VAE) : Soudeur assembleur industriel"
        ]
        (action,) = formation.xpath("l:action", namespaces=NS)
        assert action.get("numero") == str(SITE)
        (element,) = action.xpath("l:session", namespaces=NS)
        assert element.get("numero") == str(session.session_id)
        assert texts(element, "l:periode/l:debut") == ["20270315"]
        assert texts(element, "l:periode/l:fin") == ["20270316"]
        assert texts(element, "l:adresse-inscription/l:adresse/l:ligne") == [
            "12 rue des Forges"
        ]
        assert texts(element, "l:adresse-inscription/l:adresse/l:ville") == [
            "Vénissieux"
        ]
        assert texts(element, "l:etat-recrutement") == ["1"]
        assert texts(element, "l:blocs-competences/l:validation-blocs") == ["2"]
        assert texts(element, "l:blocs-competences/l:bloc-competences/l:code-bloc") == [
            "RNCP38077BC01",
            "RNCP38077BC02",
        ]
        extras = {
            extra.get("info"): extra.text
            for extra in element.xpath("l:extras/l:extra", namespaces=NS)
        }
        assert extras["places-restantes"] == "5"
        assert extras["capacite"] == "8"
        assert extras["debut"] == "2027-03-15T08:30:00+01:00"
        assert extras["cloture-inscriptions"] == "2027-02-15T00:00:00+01:00"
        assert texts(element, "l:modalites-inscription") == [
            "Inscription par l'organisme qui accompagne le candidat (candidature VAE "
            "recevable), jusqu'au 14/02/2027 inclus."
        ]
        assert texts(
            formation,
            "l:organisme-formation-responsable/l:SIRET-organisme-formation/l:SIRET",
        ) == ["82422814200658"]

    async def test_groups_by_certification_centre_and_site(self) -> None:
        other_centre, other_site = uuid.uuid4(), uuid.uuid4()
        rows = [
            row(),
            row(starts_at=row().starts_at + timedelta(days=30)),
            row(site_id=other_site),
            row(centre_id=other_centre, site_id=uuid.uuid4()),
            row(rncp_code="RNCP38078", certification_title="Chaudronnier"),
        ]
        rows.sort(key=lambda r: r.key)

        root = valid(
            b"".join(
                await export(rows, {"RNCP38077": certification(), "RNCP38078": None})
            )
        )

        shape = [
            (
                formation.get("numero"),
                [
                    len(action.xpath("l:session", namespaces=NS))
                    for action in formation.xpath("l:action", namespaces=NS)
                ],
            )
            for formation in root.xpath("l:offres/l:formation", namespaces=NS)
        ]
        assert sorted(shape) == sorted(
            [
                (f"RNCP38077/{CENTRE}", [2, 1] if other_site > SITE else [1, 2]),
                (f"RNCP38077/{other_centre}", [1]),
                (f"RNCP38078/{CENTRE}", [1]),
            ]
        )
        # The catalog no longer knows RNCP38078: no block labels, so no blocs-competences.
        unknown = root.xpath(
            "l:offres/l:formation[l:certification/l:code-RNCP='RNCP38078']",
            namespaces=NS,
        )[0]
        assert unknown.xpath(".//l:blocs-competences", namespaces=NS) == []
        assert unknown.xpath("l:code-niveau-sortie", namespaces=NS) == []

    async def test_closes_recruitment_when_full_past_the_deadline_or_not_scheduled(
        self,
    ) -> None:
        full = row(seats_taken=8)
        late = row(starts_at=datetime(2027, 2, 1, 8, tzinfo=UTC))
        convoked = row(state="CONVOCATIONS_SENT")
        open_ = row()

        root = valid(b"".join(await export([full, late, convoked, open_])))

        states = {
            element.get("numero"): texts(element, "l:etat-recrutement")[0]
            for element in root.xpath("//l:session", namespaces=NS)
        }
        assert states == {
            str(full.session_id): "2",
            str(late.session_id): "2",
            str(convoked.session_id): "2",
            str(open_.session_id): "1",
        }

    async def test_marks_a_partial_session_and_skips_unknown_blocks(self) -> None:
        partial = row(block_codes=["RNCP38077BC02", "RNCP38077BC09"])

        root = valid(b"".join(await export([partial])))

        assert texts(root, "//l:validation-blocs") == ["0"]
        assert texts(root, "//l:bloc-competences/l:code-bloc") == ["RNCP38077BC02"]

    async def test_fits_long_and_odd_text_into_lheo(self) -> None:
        odd = row(
            certification_title="Titre « A & B » <spécial> " + "x" * 400,
            centre_name='Centre "L\'Étoile" & Fils <SARL>\x07',
            site_name="Plateau\x00 ]]> n°1",
            site_address=" ".join(["Bâtiment C, allée des Acacias"] * 12),
            site_city="Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson-sur-Marne-la-Vallée",
        )

        document = b"".join(await export([odd]))

        root = valid(document)
        lines = texts(root, "//l:adresse-inscription/l:adresse/l:ligne")
        assert 1 <= len(lines) <= 4 and all(1 <= len(line) <= 50 for line in lines)
        assert lines[-1].endswith("…")
        (city,) = texts(root, "//l:adresse-inscription/l:adresse/l:ville")
        assert len(city) == 50 and city.endswith("…")
        (title,) = texts(root, "//l:intitule-formation")
        assert len(title) == 255 and "« A & B » <spécial>" in title
        assert texts(root, "//l:nom-organisme") == ['Centre "L\'Étoile" & Fils <SARL>']
        assert texts(root, "//l:adresse-inscription/l:adresse/l:denomination") == [
            "Plateau ]]> n°1"
        ]
        assert b"&amp; Fils &lt;SARL&gt;" in document

    async def test_yields_chunks_of_about_the_size_asked(self) -> None:
        rows = [
            row(starts_at=row().starts_at + timedelta(days=i), session_id=uuid.uuid4())
            for i in range(200)
        ]

        chunks = await export(rows, chunk_bytes=16 * 1024)

        assert len(chunks) > 5
        assert all(len(chunk) < 32 * 1024 for chunk in chunks)
        root = valid(b"".join(chunks))
        assert len(root.xpath("//l:session", namespaces=NS)) == 200

    async def test_can_be_closed_half_way(self) -> None:
        rows = [replace(row(), session_id=uuid.uuid4()) for _ in range(200)]
        stream = write_calendar(
            _aiter(rows),
            {"RNCP38077": certification()},
            now=NOW,
            convocation_months=1,
            chunk_bytes=4096,
        )

        first = await anext(stream)
        await stream.aclose()

        assert first.startswith(b"<?xml")


class TestOpenApiExample:
    async def test_is_valid_lheo(self) -> None:
        root = valid(LHEO_EXAMPLE.encode())

        assert len(root.xpath("//l:session", namespaces=NS)) == 1

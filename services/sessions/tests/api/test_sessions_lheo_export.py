"""GET /v1/exam-sessions/lheo: the public calendar as LHEO 2.3, parsed and validated for real.

Every export is validated against the project's subset schema, and against the official LHEO
2.3 schema too when the LHEO_OFFICIAL_XSD environment variable names a copy of it.
"""

from __future__ import annotations

import os
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from lxml import etree
from sessions_factories import (
    OTHER_TP,
    PARIS,
    TP,
    Catalogue,
    Centre,
    Clock,
    TokenFactory,
    admissible_candidacy,
    approve_site,
    at,
    create_centre,
    create_juror,
    draft_session,
    register,
    scheduled_session,
)
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import Role, utcnow
from sessions.lheo import service as lheo_service
from sessions.lheo.writer import NAMESPACE, SUBSET_XSD
from sessions.session.models import ExamSession
from sessions.session.service import CalendarFilters, SessionRules

pytestmark = pytest.mark.asyncio

NS = {"l": NAMESPACE}
PATH = "/v1/exam-sessions/lheo"
SUBSET = etree.XMLSchema(etree.parse(str(SUBSET_XSD)))
_OFFICIAL_PATH = os.environ.get("LHEO_OFFICIAL_XSD")
OFFICIAL = etree.XMLSchema(etree.parse(_OFFICIAL_PATH)) if _OFFICIAL_PATH else None


def valid(document: bytes) -> Any:
    """Parses an export and validates it against the subset (and the official) schema."""
    root = etree.fromstring(document)
    assert SUBSET.validate(root), SUBSET.error_log
    if OFFICIAL is not None:
        assert OFFICIAL.validate(root), OFFICIAL.error_log
    return root


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> Any:
    """GETs the export and returns its parsed, validated root."""
    response = await client.get(PATH, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return valid(response.content)


def numeros(root: Any) -> set[str]:
    """The ids of the exported sessions."""
    return {str(s.get("numero")) for s in root.xpath("//l:session", namespaces=NS)}


def texts(root: Any, path: str) -> list[str]:
    return [str(element.text) for element in root.xpath(path, namespaces=NS)]


class TestExportCalendar:
    async def test_exports_a_scheduled_session(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        read_centre = (
            await client.get(f"/v1/exam-centres/{centre.id}", headers=auth())
        ).json()

        root = await export(client, auth(Role.PARTNER, partner_id))

        (formation,) = root.xpath("l:offres/l:formation", namespaces=NS)
        assert texts(formation, "l:certification/l:code-RNCP") == [TP]
        assert texts(formation, "l:intitule-formation") == [
            f"Validation des acquis de l'expérience (VAE) : Titre professionnel de test {TP}"
        ]
        # Level 4 in the catalog: LHEO's « Niveau 4 » is 14.
        assert texts(formation, "l:code-niveau-sortie") == ["14"]
        organisation = formation.xpath(
            "l:organisme-formation-responsable", namespaces=NS
        )[0]
        assert organisation.get("numero") == centre.id
        assert texts(organisation, "l:SIRET-organisme-formation/l:SIRET") == [
            read_centre["siret"]
        ]
        assert texts(organisation, "l:nom-organisme") == ["Centre d'examen de test"]
        (action,) = formation.xpath("l:action", namespaces=NS)
        assert action.get("numero") == centre.site_id
        (element,) = action.xpath("l:session", namespaces=NS)
        assert element.get("numero") == session["id"]
        starts = datetime.fromisoformat(session["starts_at"]).astimezone(PARIS)
        ends = datetime.fromisoformat(session["ends_at"]).astimezone(PARIS)
        assert texts(element, "l:periode/l:debut") == [f"{starts:%Y%m%d}"]
        assert texts(element, "l:periode/l:fin") == [f"{ends:%Y%m%d}"]
        address = "l:adresse-inscription/l:adresse"
        assert texts(element, f"{address}/l:ligne") == ["1 rue des Essais"]
        assert texts(element, f"{address}/l:codepostal") == ["69007"]
        assert texts(element, f"{address}/l:ville") == ["Lyon"]
        assert texts(element, f"{address}/l:departement") == ["69"]
        assert texts(element, "l:etat-recrutement") == ["1"]
        assert texts(element, "l:blocs-competences/l:validation-blocs") == ["2"]
        blocks = element.xpath("l:blocs-competences/l:bloc-competences", namespaces=NS)
        assert [
            (texts(b, "l:code-bloc")[0], texts(b, "l:libelle-bloc")[0]) for b in blocks
        ] == [(f"{TP}BC0{i}", f"Bloc {i}") for i in (1, 2, 3)]
        extras = {
            extra.get("info"): extra.text
            for extra in element.xpath("l:extras/l:extra", namespaces=NS)
        }
        assert extras["places-restantes"] == "10"
        assert extras["capacite"] == "10"
        assert extras["nature"] == "TITLE"
        assert extras["etat"] == "SCHEDULED"
        assert datetime.fromisoformat(extras["debut"]) == starts
        assert datetime.fromisoformat(
            extras["cloture-inscriptions"]
        ) == datetime.fromisoformat(session["registration_deadline"])

    async def test_leaves_out_drafts_and_cancelled_sessions_whoever_asks(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        draft = await draft_session(client, auth, centre)
        kept = await scheduled_session(client, auth, centre)
        cancelled = await scheduled_session(
            client,
            auth,
            centre,
            starts_at=at(120, 8).isoformat(),
            ends_at=at(120, 17).isoformat(),
            test_hours=7,
        )
        cancellation = await client.post(
            f"/v1/exam-sessions/{cancelled['id']}/cancellation",
            json={"reason": "Plateau indisponible"},
            headers=centre.headers(auth),
        )
        assert cancellation.status_code == 200, cancellation.text

        for headers in (centre.headers(auth), auth(Role.ADMIN)):
            root = await export(client, headers)
            assert numeros(root) == {kept["id"]}, draft["id"]

    async def test_groups_by_certification_centre_and_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        first = await create_centre(client, auth, approve=(TP, OTHER_TP))
        second = await create_centre(client, auth)
        early = await scheduled_session(client, auth, first)
        late = await scheduled_session(
            client,
            auth,
            first,
            starts_at=at(150, 8).isoformat(),
            ends_at=at(150, 17).isoformat(),
            test_hours=7,
        )
        other = await scheduled_session(client, auth, first, rncp_code=OTHER_TP)
        elsewhere = await scheduled_session(client, auth, second)

        root = await export(client, auth(Role.ADMIN))

        shape = {
            formation.get("numero"): [
                [s.get("numero") for s in action.xpath("l:session", namespaces=NS)]
                for action in formation.xpath("l:action", namespaces=NS)
            ]
            for formation in root.xpath("l:offres/l:formation", namespaces=NS)
        }
        assert shape == {
            f"{TP}/{first.id}": [[early["id"], late["id"]]],
            f"{TP}/{second.id}": [[elsewhere["id"]]],
            f"{OTHER_TP}/{first.id}": [[other["id"]]],
        }

    async def test_filters_like_the_calendar(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        lyon = await create_centre(client, auth, approve=(TP, OTHER_TP))
        ain = await create_centre(client, auth, department="01")
        title = await scheduled_session(client, auth, lyon)
        ccp = await scheduled_session(
            client,
            auth,
            lyon,
            kind="CCP",
            block_codes=[f"{TP}BC01"],
            starts_at=at(150, 8).isoformat(),
            ends_at=at(150, 17).isoformat(),
            test_hours=7,
        )
        other = await scheduled_session(client, auth, lyon, rncp_code=OTHER_TP)
        in_ain = await scheduled_session(client, auth, ain)
        partner = auth(Role.PARTNER, partner_id)

        async def kept(**params: Any) -> set[str]:
            return numeros(await export(client, partner, **params))

        assert await kept(rncp_code=OTHER_TP) == {other["id"]}
        assert await kept(department="01") == {in_ain["id"]}
        assert await kept(region="84") == {
            title["id"],
            ccp["id"],
            other["id"],
            in_ain["id"],
        }
        assert await kept(centre_id=ain.id) == {in_ain["id"]}
        assert await kept(kind="CCP") == {ccp["id"]}
        assert await kept(starts_after=at(100).isoformat()) == {ccp["id"]}
        assert await kept(
            starts_before=at(100).isoformat(), rncp_code=TP, department="69"
        ) == {title["id"]}
        # The CCP session assesses one block of three: a partial validation.
        root = await export(client, partner, kind="CCP")
        assert texts(root, "//l:validation-blocs") == ["0"]
        assert texts(root, "//l:bloc-competences/l:code-bloc") == [f"{TP}BC01"]

    async def test_answers_no_content_when_no_session_matches(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        await draft_session(client, auth, centre)

        empty = await client.get(PATH, headers=auth(Role.ADMIN))
        elsewhere = await client.get(
            PATH, params={"rncp_code": OTHER_TP}, headers=auth(Role.ADMIN)
        )

        assert empty.status_code == 204 and empty.content == b""
        assert elsewhere.status_code == 204

    async def test_is_not_taken_for_a_session_id(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.get(PATH, headers=auth(Role.CERTIFIER, "any"))

        assert response.status_code == 204

    async def test_refuses_a_caller_without_credentials(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(PATH)

        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")

    async def test_refuses_bad_filters(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.get(
            PATH, params={"kind": "WHATEVER"}, headers=auth(Role.ADMIN)
        )

        assert response.status_code == 422

    async def test_closes_recruitment_when_full_or_past_the_deadline(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth)
        full = await scheduled_session(client, auth, centre, capacity=1)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, full["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text
        later = await scheduled_session(
            client,
            auth,
            centre,
            starts_at=at(150, 8).isoformat(),
            ends_at=at(150, 17).isoformat(),
            test_hours=7,
        )

        def states(root: Any) -> dict[str, str]:
            return {
                str(s.get("numero")): texts(s, "l:etat-recrutement")[0]
                for s in root.xpath("//l:session", namespaces=NS)
            }

        before = await export(client, auth(Role.ADMIN))
        assert states(before) == {full["id"]: "2", later["id"]: "1"}
        assert texts(before, "//l:extra[@info='places-restantes']") == ["0", "10"]
        with_seats = await export(client, auth(Role.ADMIN), with_seats_left="true")
        assert numeros(with_seats) == {later["id"]}
        clock.travel_to(datetime.fromisoformat(later["registration_deadline"]))
        after = await export(client, auth(Role.ADMIN))
        assert states(after) == {full["id"]: "2", later["id"]: "2"}

    async def test_exports_no_jury_staff_or_candidate(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [
            await create_juror(
                client,
                auth,
                family_name=f"Jurysecret-{i}",
                email=f"jure{i}@jury.example.org",
            )
            for i in (1, 2)
        ]
        session = await scheduled_session(
            client,
            auth,
            centre,
            jurors=jurors,
            manager={
                "full_name": "Responsable Confidentiel",
                "email": "resp@centre.example.org",
            },
            supervisors=[
                {"full_name": "Surveillant Discret", "email": "surv@centre.example.org"}
            ],
        )
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text
        registration = registered.json()

        response = await client.get(PATH, headers=auth(Role.ADMIN))

        valid(response.content)
        body = response.text
        secrets = [
            "Jurysecret",
            "jury.example.org",
            "Confidentiel",
            "Surveillant",
            "@",
            registration["candidate_name"],
            registration["candidacy_id"],
            registration["candidate_id"],
            registration["id"],
            partner_id,
            *(juror["id"] for juror in jurors),
        ]
        assert [secret for secret in secrets if secret in body] == []

    async def test_escapes_and_fits_odd_names(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        created = await client.post(
            "/v1/exam-centres",
            json={
                "name": 'Centre « L\'Étoile » & Fils <SARL> "Nord"',
                "siret": f"{uuid.uuid4().int % 10**14:014d}",
                "region": "84",
                "department": "69",
                "sites": [
                    {
                        "name": "Plateau\u0007 n°1 ]]> <atelier>",
                        "address": " ".join(
                            ["Zone artisanale des Grands Près, bât. B"] * 6
                        ),
                        "postal_code": "69007",
                        "city": "Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson-la-Vallée",
                        "department": "69",
                    }
                ],
            },
            headers=auth(Role.ADMIN),
        )
        assert created.status_code == 201, created.text
        centre = Centre(created.json()["id"], created.json()["sites"][0]["id"])
        approved = await approve_site(client, auth, centre, TP)
        assert approved.status_code == 201, approved.text
        await scheduled_session(client, auth, centre)

        response = await client.get(PATH, headers=auth(Role.ADMIN))

        root = valid(response.content)
        assert texts(root, "//l:nom-organisme") == [
            'Centre « L\'Étoile » & Fils <SARL> "Nord"'
        ]
        assert b"&amp; Fils &lt;SARL&gt;" in response.content
        assert texts(root, "//l:adresse-inscription/l:adresse/l:denomination") == [
            "Plateau n°1 ]]> <atelier>"
        ]
        lines = texts(root, "//l:adresse-inscription/l:adresse/l:ligne")
        assert len(lines) == 4 and all(len(line) <= 50 for line in lines)
        (city,) = texts(root, "//l:adresse-inscription/l:adresse/l:ville")
        assert len(city) == 50 and city.endswith("…")


async def _many_sessions(
    sessionmaker: async_sessionmaker[AsyncSession], centres: list[Centre], count: int
) -> None:
    """Inserts ``count`` scheduled sessions straight into the database (the API is too slow
    for this many), spread over the centres, two certifications and a year of days."""
    now = utcnow()
    start = at(40, 8)
    rows = []
    for i in range(count):
        centre = centres[i % len(centres)]
        starts_at = start + timedelta(minutes=37 * i)
        code = TP if i % 3 else OTHER_TP
        rows.append(
            {
                "id": uuid.uuid4(),
                "centre_id": uuid.UUID(centre.id),
                "site_id": uuid.UUID(centre.site_id),
                "rncp_code": code,
                "certification_title": f"Titre professionnel de test {code}",
                "kind": "TITLE",
                "block_codes": [f"{code}BC01", f"{code}BC02", f"{code}BC03"],
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=8),
                "test_hours": 7.5,
                "capacity": 12,
                "seats_taken": i % 13,
                "state": "SCHEDULED",
                "region": "84",
                "department": "69",
                "manager": {
                    "full_name": "Responsable Massif",
                    "email": "m@example.org",
                },
                "supervisors": [],
                "version": 2,
                "created_at": now,
                "updated_at": now,
            }
        )
    async with sessionmaker() as db, db.begin():
        for offset in range(0, count, 2000):
            await db.execute(insert(ExamSession), rows[offset : offset + 2000])


async def _consume(stream: Any) -> tuple[int, int, int]:
    """Reads an export as a client would, validating it on the fly: (sessions, bytes, chunks)."""
    parser = etree.XMLPullParser(
        events=("end",), tag=f"{{{NAMESPACE}}}session", schema=SUBSET
    )
    sessions = size = chunks = 0
    async for chunk in stream:
        size += len(chunk)
        chunks += 1
        parser.feed(chunk)
        for _, element in parser.read_events():
            sessions += 1
            element.clear()
    parser.close()
    return sessions, size, chunks


class TestStreaming:
    async def test_streams_many_sessions_in_flat_memory(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        centres = [await create_centre(client, auth, approve=()) for _ in range(3)]
        count = 12_000
        await _many_sessions(sessionmaker, centres, count)
        tenth = at(40, 8) + timedelta(minutes=37 * count // 10)

        async def run(
            filters: CalendarFilters, *, trace: bool
        ) -> tuple[int, int, int, float, int]:
            if trace:
                tracemalloc.start()
            began = time.perf_counter()
            stream = await lheo_service.export_calendar(
                app.state.read_sessionmaker,
                filters,
                catalog=app.state.catalog,
                now=clock.now(),
                rules=SessionRules(),
            )
            assert stream is not None
            sessions, size, chunks = await _consume(stream)
            elapsed = time.perf_counter() - began
            peak = 0
            if trace:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            return sessions, size, chunks, elapsed, peak

        sessions, size, chunks, elapsed, _ = await run(CalendarFilters(), trace=False)
        _, _, _, _, peak_all = await run(CalendarFilters(), trace=True)
        tenth_sessions, _, _, _, peak_tenth = await run(
            CalendarFilters(starts_before=tenth), trace=True
        )

        assert sessions == count
        assert tenth_sessions == count // 10
        assert chunks > 10
        print(
            f"\nLHEO export ({app.state.engine.dialect.name}): "
            f"{sessions} sessions, {size / 1e6:.1f} MB in {chunks} chunks, "
            f"{elapsed:.2f} s ({sessions / elapsed:,.0f} sessions/s, parsing and "
            f"validation included); peak traced memory {peak_all / 1e6:.2f} MB "
            f"({peak_tenth / 1e6:.2f} MB for {tenth_sessions} sessions)"
        )
        # Flat: ten times the sessions do not take ten times the memory.
        assert peak_all < 2 * peak_tenth + 1_000_000

    async def test_a_client_leaving_half_way_stops_the_export(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        await _many_sessions(sessionmaker, [centre], 600)
        stream = await lheo_service.export_calendar(
            app.state.read_sessionmaker,
            CalendarFilters(),
            catalog=app.state.catalog,
            now=clock.now(),
            rules=SessionRules(),
        )
        assert stream is not None

        first = await anext(stream)
        await stream.aclose()

        assert first.startswith(b"<?xml")

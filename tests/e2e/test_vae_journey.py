"""The whole VAE journey through the gateway, on real processes and PostgreSQL, and each role
trying what it may not."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from e2e_platform import Platform, ok

from common import Role

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
TP = "RNCP970001"
OTHER = "RNCP970002"


def _at(days: int, hour: int) -> datetime:
    return datetime.combine(
        TODAY + timedelta(days=days), clock_time(hour), tzinfo=PARIS
    )


@pytest_asyncio.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    """Every process, started on fresh PostgreSQL databases."""
    running = Platform(tmp_path)
    await running.create_databases()
    try:
        await running.start_all()
        yield running
    finally:
        running.stop()
        await running.drop_databases()


def _certification(code: str, certifier: str) -> dict[str, object]:
    return {
        "rncp_code": code,
        "title": f"Titre professionnel Soudeur assembleur industriel {code}",
        "kind": "TITRE_PROFESSIONNEL",
        "level": 3,
        "start_date": (TODAY - timedelta(days=300)).isoformat(),
        "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
        "certifiers": [{"name": certifier}],
        "blocks": [{"code": f"{code}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2, 3)],
    }


async def test_the_whole_journey_and_every_role_kept_in_its_lane(
    platform: Platform,
) -> None:
    gateway = platform.gateway
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        admin = platform.admin()
        for code, certifier in (
            (TP, "MINISTERE DU TRAVAIL (E2E)"),
            (OTHER, "BRANCHE (E2E)"),
        ):
            ok(
                await http.post(
                    "/v1/certifications",
                    json=_certification(code, certifier),
                    headers=admin,
                ),
                201,
            )
        certifier_id = ok(await http.get(f"/v1/certifications/{TP}"))["certifiers"][0][
            "id"
        ]
        other_certifier_id = ok(await http.get(f"/v1/certifications/{OTHER}"))[
            "certifiers"
        ][0]["id"]
        centre_a, centre_b = str(uuid.uuid4()), str(uuid.uuid4())
        partner_a = await platform.client(http, Role.PARTNER, "partner-a")
        partner_b = await platform.client(http, Role.PARTNER, "partner-b")
        certifier = await platform.client(http, Role.CERTIFIER, certifier_id)
        other_certifier = await platform.client(
            http, Role.CERTIFIER, other_certifier_id
        )
        centre = await platform.client(http, Role.EXAM_CENTRE, centre_a)
        other_centre = await platform.client(http, Role.EXAM_CENTRE, centre_b)

        # 1. A partner finds the certification (public search, no key) and files a candidacy.
        found = ok(
            await http.get("/v1/certifications", params={"q": "soudeur assembleur"})
        )
        assert TP in [c["rncp_code"] for c in found["items"]]
        candidate = ok(
            await http.post(
                "/v1/candidates",
                json={
                    "given_name": "Lina",
                    "family_name": "Morel",
                    "department": "69",
                    "experiences": [
                        {
                            "nature": "SALARIED",
                            "title": "Soudeuse",
                            "start_date": "2014-01-01",
                        }
                    ],
                    "links": [{"relation": "TRAINER", "full_name": "Éric Lévêque"}],
                },
                headers=partner_a,
            ),
            201,
        )
        candidacy = ok(
            await http.post(
                "/v1/candidacies",
                json={"candidate_id": candidate["id"], "rncp_code": TP},
                headers=partner_a,
            ),
            201,
        )
        submitted = await http.post(
            f"/v1/candidacies/{candidacy['id']}/submission", headers=partner_a
        )
        ok(submitted)

        # 2. Only its certifier decides, with the ETag.
        decision = f"/v1/candidacies/{candidacy['id']}/admissibility-decision"
        refused = await http.post(
            decision,
            json={"decision": "ADMISSIBLE"},
            headers={**other_certifier, "If-Match": submitted.headers["etag"]},
        )
        assert refused.status_code == 404
        ok(
            await http.post(
                decision,
                json={"decision": "ADMISSIBLE"},
                headers={**certifier, "If-Match": submitted.headers["etag"]},
            )
        )

        # 3. The administrator registers the centres, approvals, jurors and habilitations.
        for centre_id in (centre_a, centre_b):
            ok(
                await http.post(
                    "/v1/exam-centres",
                    json={
                        "id": centre_id,
                        "name": f"Centre {centre_id[:4]}",
                        "siret": f"{uuid.uuid4().int % 10**14:014d}",
                        "region": "84",
                        "department": "69",
                        "sites": [
                            {
                                "name": "Atelier",
                                "address": "1 rue",
                                "postal_code": "69007",
                                "city": "Lyon",
                                "department": "69",
                            }
                        ],
                    },
                    headers=admin,
                ),
                201,
            )
        site = ok(await http.get(f"/v1/exam-centres/{centre_a}", headers=centre))[
            "sites"
        ][0]["id"]
        ok(
            await http.post(
                f"/v1/exam-centres/{centre_a}/approvals",
                json={
                    "site_id": site,
                    "rncp_code": TP,
                    "start_date": (TODAY - timedelta(days=30)).isoformat(),
                    "end_date": (TODAY + timedelta(days=700)).isoformat(),
                    "authority": "DREETS",
                },
                headers=admin,
            ),
            201,
        )
        jurors = []
        for given, family in (
            ("Nadia", "Roux"),
            ("Éric", "Lévêque"),
            ("Omar", "Diallo"),
        ):
            juror = ok(
                await http.post(
                    "/v1/jurors",
                    json={
                        "given_name": given,
                        "family_name": family,
                        "profile": "PROFESSIONAL",
                        "trade": "Soudure",
                        "years_in_trade": 9,
                    },
                    headers=centre,
                ),
                201,
            )
            ok(
                await http.post(
                    f"/v1/jurors/{juror['id']}/habilitations",
                    json={
                        "rncp_code": TP,
                        "granted_on": (TODAY - timedelta(days=100)).isoformat(),
                        "authority": "DDETS du Rhône",
                    },
                    headers=admin,
                ),
                201,
            )
            jurors.append(juror["id"])

        # 4. The centre plans the session; the candidate's trainer may not sit on its jury.
        # The session took place ten days ago: the sessions process starts 70 days back in time
        # (registrations close a month before), and comes back to today for the report.
        await platform.restart("sessions", timedelta(days=-70))
        session = ok(
            await http.post(
                "/v1/exam-sessions",
                json={
                    "centre_id": centre_a,
                    "site_id": site,
                    "rncp_code": TP,
                    "kind": "TITLE",
                    "starts_at": _at(-10, 8).isoformat(),
                    "ends_at": _at(-10, 18).isoformat(),
                    "test_hours": 8,
                    "capacity": 6,
                    "manager": {"full_name": "Julien Bertrand"},
                },
                headers=centre,
            ),
            201,
        )
        path = f"/v1/exam-sessions/{session['id']}"
        assert (
            await http.get(path, headers=partner_a)
        ).status_code == 404  # a draft is private
        ok(
            await http.put(
                f"{path}/jury",
                json={"members": [{"juror_id": j} for j in jurors[:2]]},
                headers=centre,
            )
        )
        ok(await http.post(f"{path}/scheduling", headers=centre))
        conflict = await http.post(
            f"{path}/registrations",
            json={"candidacy_id": candidacy["id"]},
            headers=partner_a,
        )
        assert conflict.status_code == 409
        assert conflict.json()["code"] == "JUROR_CONFLICT_OF_INTEREST"
        assert conflict.json()["rule"] == "TRAINER"
        ok(
            await http.put(
                f"{path}/jury",
                json={"members": [{"juror_id": jurors[0]}, {"juror_id": jurors[2]}]},
                headers=centre,
            )
        )
        registration = ok(
            await http.post(
                f"{path}/registrations",
                json={"candidacy_id": candidacy["id"]},
                headers=partner_a,
            ),
            201,
        )
        stranger = await http.post(
            f"{path}/registrations",
            json={"candidacy_id": candidacy["id"]},
            headers=partner_b,
        )
        assert (
            stranger.status_code == 404
            and stranger.json()["code"] == "CANDIDACY_NOT_FOUND"
        )
        ok(await http.post(f"{path}/convocations", headers=centre))

        # 5. After the session, the report.
        await platform.restart("sessions", timedelta(0))
        ok(await http.post(f"{path}/holding", headers=centre))
        current = await http.get(path, headers=centre)
        report = {
            "lines": [
                {
                    "registration_id": registration["id"],
                    "attendance": "PRESENT",
                    "blocks": [
                        {"block_code": f"{TP}BC01", "result": "VALIDATED"},
                        {"block_code": f"{TP}BC02", "result": "VALIDATED"},
                        {"block_code": f"{TP}BC03", "result": "NOT_VALIDATED"},
                    ],
                }
            ]
        }
        forbidden = await http.post(
            f"{path}/report",
            json=report,
            headers={**other_centre, "If-Match": current.headers["etag"]},
        )
        assert forbidden.status_code == 403
        ok(
            await http.post(
                f"{path}/report",
                json=report,
                headers={**centre, "If-Match": current.headers["etag"]},
            ),
            201,
        )

        # 6. The candidacy records the outcome and the ledger the blocks, with their expiry.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = ok(
                await http.get(f"/v1/candidacies/{candidacy['id']}", headers=partner_a)
            )["state"]
            if state != "ADMISSIBLE":
                break
            await asyncio.sleep(0.3)
        read = ok(
            await http.get(f"/v1/candidacies/{candidacy['id']}", headers=partner_a)
        )
        assert (read["state"], read["jury_result"]) == (
            "PARTIALLY_CERTIFIED",
            "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION",
        )
        ledger = ok(
            await http.get(
                f"/v1/candidates/{candidate['id']}/blocks", headers=partner_a
            )
        )
        end = date.fromisoformat(_certification(TP, "")["end_date"])  # type: ignore[arg-type]
        assert {(b["block_code"], b["expires_on"]) for b in ledger["blocks"]} == {
            (f"{TP}BC01", (end + timedelta(days=1)).isoformat()),
            (f"{TP}BC02", (end + timedelta(days=1)).isoformat()),
        }
        assert ledger["certifications"][0]["remaining_block_codes"] == [f"{TP}BC03"]

        # 7. A later candidacy aims only at the missing block.
        later = ok(
            await http.post(
                "/v1/candidacies",
                json={"candidate_id": candidate["id"], "rncp_code": TP},
                headers=partner_a,
            ),
            201,
        )
        again = ok(
            await http.post(
                f"/v1/candidacies/{later['id']}/submission", headers=partner_a
            )
        )
        assert again["target_block_codes"] == [f"{TP}BC03"]
        assert again["snapshot"]["already_acquired_block_codes"] == [
            f"{TP}BC01",
            f"{TP}BC02",
        ]

        # 8. Each role tries what it may not.
        cases = [
            ("GET", f"/v1/candidates/{candidate['id']}", partner_b, None, 404),
            ("GET", f"/v1/candidacies/{candidacy['id']}", other_certifier, None, 404),
            (
                "GET",
                f"/v1/candidates/{candidate['id']}/blocks",
                other_certifier,
                None,
                404,
            ),
            ("GET", f"/v1/candidacies/{candidacy['id']}", None, None, 401),
            (
                "POST",
                "/v1/candidates",
                centre,
                {"given_name": "X", "family_name": "Y", "department": "69"},
                403,
            ),
            ("POST", "/v1/exam-sessions", partner_a, {}, 403),
            (
                "GET",
                f"{path}/registrations/{registration['id']}/convocation",
                partner_b,
                None,
                404,
            ),
            ("GET", f"/v1/exam-centres/{centre_a}/approvals", None, None, 401),
            ("POST", "/v1/imports", centre, {}, 403),
            (
                "POST",
                f"/v1/candidacies/{candidacy['id']}/decision-revocation",
                certifier,
                {},
                403,
            ),
        ]
        for method, url, headers, body, status in cases:
            response = await http.request(method, url, json=body, headers=headers or {})
            assert response.status_code == status, (
                method,
                url,
                response.status_code,
                response.text,
            )
            assert response.headers["content-type"].startswith(
                "application/problem+json"
            )
        mine = ok(await http.get(f"{path}/registrations", headers=partner_b))
        assert mine == []
        theirs = ok(await http.get(f"{path}", headers=other_centre))
        assert theirs["jury"] is None and theirs["manager"] is None

"""No process logs personal data: a seeded scenario with distinctive values, error paths
included, then every process's log is searched for each value (0 occurrences)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from security_world import World, running_world

from common import Role

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GIVEN, FAMILY = "Eulalie", "Grandcoeurvisse"
EMAIL = "eulalie.grandcoeurvisse@journal-secret.example"
PHONE = "+33 6 47 83 29 15"
BIRTH_DATE = "1983-07-29"
BAD_EMAIL = "eulalie.grandcoeurvisse-at-journal-secret"
TRAINER = "Hippolyte Cassagnard"
TRAINER_EMAIL = "hippolyte.cassagnard@formation-secrete.example"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Both tenants on the real platform, their candidates' personal data included."""
    folder: Path = tmp_path_factory.mktemp("personal-data")
    async with running_world(folder) as seeded:
        yield seeded


@pytest.mark.asyncio(loop_scope="module")
async def test_no_log_holds_the_seeded_personal_data(world: World) -> None:
    partner = world.a.keys[Role.PARTNER]
    async with httpx.AsyncClient(base_url=world.platform.gateway, timeout=30) as http:
        created = await http.post(
            "/v1/candidates",
            json={
                "given_name": GIVEN,
                "family_name": FAMILY,
                "email": EMAIL,
                "phone": PHONE,
                "birth_date": BIRTH_DATE,
                "department": "69",
                "links": [
                    {
                        "relation": "TRAINER",
                        "full_name": TRAINER,
                        "email": TRAINER_EMAIL,
                    }
                ],
            },
            headers=partner,
        )
        assert created.status_code == 201, created.text
        candidate = created.json()
        # Error paths: a bad e-mail (422), a stranger (404), no key (401), a wrong role (403).
        invalid = await http.post(
            "/v1/candidates",
            json={
                "given_name": GIVEN,
                "family_name": FAMILY,
                "email": BAD_EMAIL,
                "department": "69",
            },
            headers=partner,
        )
        assert invalid.status_code == 422
        assert BAD_EMAIL not in invalid.text, "a problem repeated the personal data"
        too_long = await http.patch(
            f"/v1/candidates/{candidate['id']}",
            json={"phone": PHONE * 5},
            headers=partner,
        )
        assert too_long.status_code in (412, 422, 428)
        stranger = await http.get(
            f"/v1/candidates/{candidate['id']}", headers=world.b.keys[Role.PARTNER]
        )
        assert stranger.status_code == 404
        assert (
            await http.post("/v1/candidates", json={"given_name": GIVEN})
        ).status_code == 401
        assert (
            await http.post(
                "/v1/candidates",
                json={"given_name": GIVEN, "family_name": FAMILY, "department": "69"},
                headers=world.a.keys[Role.EXAM_CENTRE],
            )
        ).status_code == 403
        # Query strings: a name typed into the public search, and into a list's filter.
        searched = await http.get(
            "/v1/certifications", params={"q": f"{GIVEN} {FAMILY}"}
        )
        assert searched.status_code == 200
        filtered = await http.get(
            "/v1/candidates", params={"department": EMAIL}, headers=partner
        )
        assert filtered.status_code == 422
        read = await http.get(f"/v1/candidates/{candidate['id']}", headers=partner)
        assert read.json()["email"] == EMAIL
        erased = await http.delete(f"/v1/candidates/{candidate['id']}", headers=partner)
        assert erased.status_code == 204, erased.text
    # Let the outbox relays and the webhook worker log what they do with the events.
    await asyncio.sleep(2)

    seeded = [
        GIVEN,
        FAMILY,
        EMAIL,
        PHONE,
        BIRTH_DATE,
        BAD_EMAIL,
        TRAINER,
        TRAINER_EMAIL,
    ]
    seeded += world.a.personal + world.b.personal
    counts: dict[str, dict[str, int]] = {}
    for name, process in world.platform.processes.items():
        text = process.log.read_text(errors="replace")
        assert text, f"{name} wrote no log at all: the scan would prove nothing"
        counts[name] = {value: text.count(value) for value in seeded}
    print({name: sum(found.values()) for name, found in counts.items()})
    found = {
        f"{name}: {value}": count
        for name, per_value in counts.items()
        for value, count in per_value.items()
        if count
    }
    assert not found, f"personal data in the logs: {found}"

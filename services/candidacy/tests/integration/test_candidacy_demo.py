"""The demo data loads through the real use cases against the real catalog, once."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from candidacy_factories import TokenFactory
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.clients.catalog import CatalogClient
from candidacy.demo.loader import load_demo
from catalog.demo.loader import load_demo as load_catalog_demo
from common import Role

pytestmark = pytest.mark.asyncio


async def test_the_demo_shows_every_state_once(
    catalog_app: FastAPI,
    catalog_http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    partner_id: str,
) -> None:
    async with catalog_app.state.sessionmaker() as db:
        await load_catalog_demo(db)
    catalog = CatalogClient(catalog_http, "http://catalog")
    report = await load_demo(sessionmaker, catalog, partner_id=partner_id)
    assert (report.candidates, report.candidacies) == (4, 4)
    again = await load_demo(sessionmaker, catalog, partner_id=partner_id)
    assert again.candidates == 0
    listed = await client.get("/v1/candidacies", headers=auth(Role.PARTNER, partner_id))
    states = Counter(c["state"] for c in listed.json()["items"])
    assert states == {
        "SUBMITTED": 1,
        "DRAFT": 1,
        "PARTIALLY_CERTIFIED": 1,
        "ADMISSIBLE": 1,
    }
    partial = next(
        c for c in listed.json()["items"] if c["state"] == "PARTIALLY_CERTIFIED"
    )
    ledger = await client.get(
        f"/v1/candidates/{partial['candidate_id']}/blocks",
        headers=auth(Role.PARTNER, partner_id),
    )
    assert [b["status"] for b in ledger.json()["blocks"]] == ["VALID"]

"""The expiry sweep announces each block expiring or expired once, whatever the concurrency."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from candidacy_factories import (
    DIPLOMA,
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    deliver,
    line,
    report_event,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.db import OutboxEvent
from candidacy.ledger.service import BLOCK_EXPIRED, BLOCK_EXPIRING, sweep_expiries

pytestmark = pytest.mark.asyncio

TODAY = date.today()


async def _blocks_with_juries(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    partner_id: str,
    secret: str,
    juries: list[date],
) -> None:
    for jury in juries:
        candidacy = await admissible_candidacy(
            client, auth, catalogue, partner_id, DIPLOMA
        )
        event = report_event(
            DIPLOMA,
            [
                line(
                    candidacy["id"],
                    RNCP990002BC01="VALIDATED",
                    RNCP990002BC02="VALIDATED",
                )
            ],
            jury_date=jury,
        )
        assert (await deliver(client, secret, event)).status_code == 200


async def _announcements(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Counter[tuple[str, str]]:
    async with sessionmaker() as db:
        events = (
            await db.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.type.in_([BLOCK_EXPIRED, BLOCK_EXPIRING])
                )
            )
        ).all()
    return Counter((e.type, e.data["acquired_block_id"]) for e in events)


class TestSweep:
    async def test_announces_each_block_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        five_years = 5 * 365 + 2
        await _blocks_with_juries(
            client,
            auth,
            catalogue,
            partner_id,
            event_secret,
            [
                TODAY - timedelta(days=five_years + 10),  # expired
                TODAY - timedelta(days=five_years - 60),  # expiring within 180 days
                TODAY - timedelta(days=30),  # valid for years
            ],
        )
        first = await sweep_expiries(
            sessionmaker, today=TODAY, horizon_days=180, batch_size=1
        )
        assert (first.expired, first.expiring) == (2, 2)
        second = await sweep_expiries(sessionmaker, today=TODAY, horizon_days=180)
        assert (second.expired, second.expiring) == (0, 0)
        # Later, the expiring blocks expire: announced once more, as expired.
        later = await sweep_expiries(
            sessionmaker, today=TODAY + timedelta(days=200), horizon_days=180
        )
        assert (later.expired, later.expiring) == (2, 0)
        announced = await _announcements(sessionmaker)
        assert set(announced.values()) == {1}
        assert Counter(kind for kind, _ in announced) == {
            BLOCK_EXPIRED: 4,
            BLOCK_EXPIRING: 2,
        }

    async def test_concurrent_sweeps_share_the_work(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await _blocks_with_juries(
            client,
            auth,
            catalogue,
            partner_id,
            event_secret,
            [TODAY - timedelta(days=6 * 365 + i) for i in range(4)],
        )
        reports = await asyncio.gather(
            *(
                sweep_expiries(
                    sessionmaker, today=TODAY, horizon_days=180, batch_size=2
                )
                for _ in range(3)
            )
        )
        assert sum(r.expired for r in reports) == 8
        assert set((await _announcements(sessionmaker)).values()) == {1}


class TestSweepCommand:
    async def test_the_cli_sweeps_and_reports(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        database_url: str,
    ) -> None:
        await _blocks_with_juries(
            client,
            auth,
            catalogue,
            partner_id,
            event_secret,
            [TODAY - timedelta(days=2000)],
        )
        result = await asyncio.to_thread(
            subprocess.run,
            [str(Path(sys.executable).parent / "candidacy"), "sweep-expiries"],
            env={"CANDIDACY_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "2 block(s) expired" in result.stderr
        bad = await asyncio.to_thread(
            subprocess.run,
            [
                str(Path(sys.executable).parent / "candidacy"),
                "sweep-expiries",
                "--today",
                "hier",
            ],
            env={"CANDIDACY_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert bad.returncode == 2
        assert "YYYY-MM-DD" in bad.stderr

"""Volume: a large synthetic catalog, imported, linked to Certif Info and exported as LHEO.

Prints the figures (import speeds, export throughput, peak memory) and checks only what does
not depend on the machine: every formation is there, and the export holds no whole document
in memory. ``LHEO_BENCH_FICHES`` sets the size (default 2,000 fiches; the real RNCP export
holds 25,638); ``LHEO_BENCH_OUTPUT`` names a file to keep the document in. Run alone:
``LHEO_BENCH_FICHES=25638 pytest services/catalog/tests -k large_catalog -s``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.certif_info.service import import_certif_info
from catalog.certif_info.synthetic import write_synthetic_csv
from catalog.certification.models import Certification, CertificationCertifier
from catalog.certification.repository import CertificationRepository
from catalog.certification.service import today_in_paris
from catalog.certifier.models import Certifier
from catalog.rncp_import.service import import_rncp_export
from catalog.rncp_import.synthetic import write_synthetic_export

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """The process's resident memory now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(1 << 20):
            yield chunk


async def expected_offers(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Counts, independently of the export's query, the certifications it must offer."""
    c, link = Certification, CertificationCertifier
    today = today_in_paris()
    async with sessionmaker() as db, db.begin():
        count = await db.scalar(
            select(func.count())
            .select_from(c)
            .where(
                c.vae_eligible.is_(True),
                or_(c.start_date.is_(None), c.start_date <= today),
                or_(
                    c.end_date >= today,
                    and_(c.end_date.is_(None), c.rncp_active.is_(True)),
                ),
                exists().where(
                    link.rncp_code == c.rncp_code,
                    link.certifier_id == Certifier.id,
                    Certifier.siret.is_not(None),
                ),
            )
        )
    return int(count or 0)


async def test_exports_a_large_catalog_with_flat_memory(
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
) -> None:
    fiches = int(os.environ.get("LHEO_BENCH_FICHES", "2000"))
    dialect = database_url.split(":", 1)[0]
    export = tmp_path / "export.xml"
    write_synthetic_export(export, fiches=fiches, seed=7)
    started = time.perf_counter()
    rncp = await import_rncp_export(sessionmaker, export)
    rncp_seconds = time.perf_counter() - started

    async with sessionmaker() as db, db.begin():
        titles = await CertificationRepository(db).list_titles()
    csv = tmp_path / "certif-info.csv"
    rows = write_synthetic_csv(csv, titles, seed=7)
    started = time.perf_counter()
    async with sessionmaker() as db:
        linked = await import_certif_info(db, file_chunks(csv))
    certif_info_seconds = time.perf_counter() - started
    assert linked.linked == len(titles)

    expected = await expected_offers(sessionmaker)
    parser = etree.XMLPullParser(
        events=("end",), tag="{http://lheo.gouv.fr/2.3}formation"
    )
    state: dict[str, Any] = {"status": None, "bytes": 0, "chunks": 0, "formations": 0}
    keep = os.environ.get("LHEO_BENCH_OUTPUT")
    kept = Path(keep).open("wb") if keep else None  # noqa: ASYNC230, SIM115 - opt-in, closed below
    baseline = peak = rss()
    finished = asyncio.Event()
    received = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += 1
        if received == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        # Starlette listens for a disconnection while it streams: none comes until the end.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal peak
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            state["bytes"] += len(body)
            state["chunks"] += 1
            # Checked as it comes, element by element, so the test holds no whole document.
            parser.feed(body)
            if kept is not None:
                kept.write(body)
            for _event, element in parser.read_events():
                state["formations"] += 1
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            peak = max(peak, rss())
            if not message.get("more_body", False):
                finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/certifications/lheo",
        "raw_path": b"/v1/certifications/lheo",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"catalog")],
        "client": ("127.0.0.1", 40000),
        "server": ("catalog", 80),
    }
    started = time.perf_counter()
    try:
        await app(scope, receive, send)
    finally:
        if kept is not None:
            kept.close()
    parser.close()
    export_seconds = time.perf_counter() - started

    growth = peak - baseline
    print(
        f"\n[{dialect}] {fiches:,} fiches: RNCP import {rncp_seconds:.1f} s "
        f"({rncp.fiches_read / rncp_seconds:,.0f} fiches/s); Certif Info import of {rows:,} rows "
        f"{certif_info_seconds:.2f} s ({rows / certif_info_seconds:,.0f} rows/s, "
        f"{linked.linked:,} linked); LHEO export of {state['formations']:,} formations, "
        f"{state['bytes'] / 1e6:,.1f} MB in {state['chunks']:,} chunks, {export_seconds:.1f} s "
        f"({state['formations'] / export_seconds:,.0f} certifications/s); RSS {baseline / 2**20:,.0f} MiB "
        f"before, peak +{growth / 2**20:,.1f} MiB during the export "
        f"(process max {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB)"
    )
    assert state["status"] == 200
    assert state["formations"] == expected > 0
    # Holding the document would grow memory by at least its size.
    assert growth < 64 * 2**20 + state["bytes"] // 4

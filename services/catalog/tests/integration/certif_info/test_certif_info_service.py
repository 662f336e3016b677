"""The Certif Info import against a real database: links, conflicts, idempotence, atomicity."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from factories import create_certification
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.certif_info.service import CertifInfoReport, import_certif_info
from catalog.certification.models import Certification
from catalog.certification.repository import CertificationRepository
from catalog.db import OutboxEvent
from catalog.errors import (
    CertifInfoFileInvalidError,
    ImportFileEmptyError,
    ImportFileTooLargeError,
)
from catalog.rncp_import.service import import_rncp_export
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio

HEADER = "Code_Diplome;Libelle_Diplome;Code_RNCP\n"


async def chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], text: str, **options: bool
) -> CertifInfoReport:
    async with sessionmaker() as db:
        return await import_certif_info(
            db, chunks((HEADER + text).encode("cp1252")), **options
        )


async def links(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[str, int | None]:
    async with sessionmaker() as db, db.begin():
        return await CertificationRepository(db).get_certif_info_links()


async def updated_events(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[OutboxEvent]:
    async with sessionmaker() as db, db.begin():
        return list(
            (
                await db.scalars(
                    select(OutboxEvent)
                    .where(
                        OutboxEvent.type == "fr.vae.catalog.certification-updated.v1"
                    )
                    .order_by(OutboxEvent.subject)
                )
            ).all()
        )


async def revision(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as db, db.begin():
        return await CertificationRepository(db).get_revision()


@pytest_asyncio.fixture
async def catalog(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    codes = ["RNCP900001", "RNCP900002", "RNCP900003"]
    async with sessionmaker() as db:
        for code in codes:
            await create_certification(db, rncp_code=code)
    return codes


class TestImportCertifInfo:
    async def test_links_certifications_and_reports(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        before = await revision(sessionmaker)
        report = await run(
            sessionmaker,
            "101;Un;900001\n102;Deux;RNCP900002\n103;Hors RNCP;\n104;Inconnu;999999\nX;Mauvais;900003\n",
        )
        assert (report.rows_read, report.linked, report.unchanged) == (5, 2, 0)
        assert (report.rows_without_rncp_code, report.unknown_rncp_codes) == (1, 1)
        assert report.unknown_rncp_code_rows == [
            {"rncp_code": "RNCP999999", "certif_info_id": 104, "line": 5}
        ]
        assert report.skipped_rows == [
            {
                "line": 6,
                "reason": "Code_Diplome 'X' is not a Certif Info code (1 to 10 digits)",
            }
        ]
        assert (report.file_format, report.encoding) == (
            "CERTIF_INFO_OPEN_DATA",
            "ASCII",
        )
        assert await links(sessionmaker) == {
            "RNCP900001": 101,
            "RNCP900002": 102,
            "RNCP900003": None,
        }
        events = await updated_events(sessionmaker)
        assert [(e.subject, e.data["certif_info_id"]) for e in events] == [
            ("RNCP900001", 101),
            ("RNCP900002", 102),
        ]
        assert await revision(sessionmaker) == before + 1
        async with sessionmaker() as db, db.begin():
            versions = dict(
                (
                    await db.execute(
                        select(Certification.rncp_code, Certification.version)
                    )
                ).all()
            )
        assert versions == {"RNCP900001": 2, "RNCP900002": 2, "RNCP900003": 1}

    async def test_importing_again_changes_nothing(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        text = "101;Un;900001\n102;Deux;900002\n"
        await run(sessionmaker, text)
        before = (await revision(sessionmaker), len(await updated_events(sessionmaker)))
        again = await run(sessionmaker, text)
        assert (again.linked, again.unchanged, again.conflicts) == (0, 2, 0)
        after = (await revision(sessionmaker), len(await updated_events(sessionmaker)))
        assert after == before

    async def test_leaves_out_what_the_file_says_twice(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        report = await run(
            sessionmaker,
            "101;Un;900001\n101;Un bis;900002\n201;A;900003\n202;B;900003\n101;Un;900001\n",
        )
        assert (report.linked, report.conflicts) == (0, 2)
        kinds = {c["kind"]: c for c in report.conflict_details}
        assert kinds["CERTIF_INFO_CODE_WITH_SEVERAL_RNCP_CODES"]["rncp_codes"] == [
            "RNCP900001",
            "RNCP900002",
        ]
        assert kinds["CERTIF_INFO_CODE_WITH_SEVERAL_RNCP_CODES"]["lines"] == [2, 3]
        assert kinds["RNCP_CODE_WITH_SEVERAL_CERTIF_INFO_CODES"]["certif_info_ids"] == [
            201,
            202,
        ]
        assert set((await links(sessionmaker)).values()) == {None}

    async def test_reports_contradictions_with_the_catalog_and_keeps_it(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        await run(sessionmaker, "101;Un;900001\n102;Deux;900002\n")
        report = await run(sessionmaker, "301;Autre;900001\n102;Deux ailleurs;900003\n")
        assert (report.linked, report.conflicts) == (0, 2)
        assert {c["kind"] for c in report.conflict_details} == {
            "CERTIFICATION_HAS_ANOTHER_CERTIF_INFO_CODE",
            "CERTIF_INFO_CODE_ON_ANOTHER_CERTIFICATION",
        }
        assert await links(sessionmaker) == {
            "RNCP900001": 101,
            "RNCP900002": 102,
            "RNCP900003": None,
        }

    async def test_overwrite_moves_codes_even_when_they_swap(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        await run(sessionmaker, "101;Un;900001\n102;Deux;900002\n")
        events_before = len(await updated_events(sessionmaker))
        report = await run(
            sessionmaker, "102;Deux;900001\n101;Un;900002\n", overwrite=True
        )
        assert (report.linked, report.unlinked, report.conflicts) == (2, 0, 0)
        assert await links(sessionmaker) == {
            "RNCP900001": 102,
            "RNCP900002": 101,
            "RNCP900003": None,
        }
        moved = await run(sessionmaker, "102;Deux;900003\n", overwrite=True)
        assert (moved.linked, moved.unlinked) == (1, 1)
        assert await links(sessionmaker) == {
            "RNCP900001": None,
            "RNCP900002": 101,
            "RNCP900003": 102,
        }
        assert len(await updated_events(sessionmaker)) == events_before + 4

    async def test_a_file_that_cannot_be_read_changes_nothing(
        self, sessionmaker: async_sessionmaker[AsyncSession], catalog: list[str]
    ) -> None:
        async with sessionmaker() as db:
            with pytest.raises(
                CertifInfoFileInvalidError, match="Code_Diplome and Code_RNCP"
            ):
                await import_certif_info(
                    db, chunks(b"Numero_Fiche;Intitule\nRNCP900001;X\n")
                )
            with pytest.raises(ImportFileEmptyError):
                await import_certif_info(db, chunks(b""))
            with pytest.raises(ImportFileTooLargeError):
                await import_certif_info(
                    db,
                    chunks((HEADER + "101;Un;900001\n" * 100).encode()),
                    max_bytes=200,
                )
        assert set((await links(sessionmaker)).values()) == {None}
        assert await updated_events(sessionmaker) == []

    async def test_rncp_imports_keep_the_links(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        sample = (
            require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml"
        )
        await import_rncp_export(sessionmaker, sample)
        await run(sessionmaker, "92891;Développeur web;37674\n")
        async with sessionmaker() as db, db.begin():
            # As if France compétences had edited the fiche: the import rewrites its row.
            await db.execute(
                update(Certification)
                .where(Certification.rncp_code == "RNCP37674")
                .values(content_hash="edited")
            )
        again = await import_rncp_export(sessionmaker, sample)
        assert (again.updated, again.unchanged) == (1, 11)
        assert (await links(sessionmaker))["RNCP37674"] == 92891

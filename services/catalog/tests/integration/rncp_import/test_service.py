"""The RNCP import against real databases: real samples, idempotence, all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from factories import create_certification
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.certification.models import (
    Block,
    BlockCorrespondence,
    Certification,
    CertificationCertifier,
    LineageLink,
)
from catalog.certification.repository import CertificationRepository
from catalog.certification.rules import RetentionPolicy
from catalog.certifier.models import Certifier
from catalog.db import OutboxEvent
from catalog.rncp_import.parser import ExportFormatError
from catalog.rncp_import.service import import_rncp_export
from common import utcnow
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def sample() -> Path:
    return require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml"


async def count(sessionmaker: Sessions, model: type) -> int:
    async with sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(sessionmaker: Sessions) -> dict[str, tuple[str, int]]:
    async with sessionmaker() as db:
        rows = await db.execute(
            select(
                Certification.rncp_code,
                Certification.content_hash,
                Certification.version,
            )
        )
        return {row[0]: (row[1], row[2]) for row in rows}


class TestImportRncpExport:
    async def test_imports_the_real_sample(
        self, sessionmaker: Sessions, sample: Path
    ) -> None:
        report = await import_rncp_export(sessionmaker, sample)
        assert (
            report.version,
            report.fiches_read,
            report.created,
            report.updated,
            report.skipped,
        ) == ("4.1", 12, 12, 0, 0)
        assert await count(sessionmaker, Certification) == 12
        assert (
            await count(sessionmaker, Block) == 53
        )  # the sample README counts 53 BLOC_COMPETENCES
        async with sessionmaker() as db:
            tp = await CertificationRepository(db).get_with_parts("RNCP37674")
            assert tp is not None
            assert (tp.kind, tp.level, tp.vae_eligible, tp.end_date) == (
                "TITRE_PROFESSIONNEL",
                5,
                True,
                date(2028, 9, 1),
            )
            assert (tp.retention_policy, tp.retention_years) == (
                RetentionPolicy.UNTIL_END_DATE,
                None,
            )
            assert len(tp.partners) == 471
            assert [b.code for b in tp.blocks] == ["RNCP37674BC01", "RNCP37674BC02"]
            assert len(tp.blocks[0].competences) >= 4
            master = await CertificationRepository(db).get_with_parts("RNCP35625")
            assert master is not None and (
                master.kind,
                master.retention_policy,
                master.retention_years,
            ) == ("DIPLOME", "FIXED_YEARS", 5)
            certifiers = await db.scalar(
                select(func.count())
                .select_from(CertificationCertifier)
                .where(CertificationCertifier.rncp_code == "RNCP40344")
            )
            assert certifiers == 2
            lineage = set(
                (
                    await db.execute(
                        select(LineageLink.previous_code, LineageLink.next_code)
                    )
                ).all()
            )
            assert ("RNCP34762", "RNCP39568") in lineage
            correspondences = await db.scalar(
                select(func.count())
                .select_from(BlockCorrespondence)
                .where(BlockCorrespondence.declared_by == "RNCP40344")
            )
            assert correspondences == 8
            ministry = await db.scalar(
                select(Certifier).where(Certifier.siret == "11000007200014")
            )
            assert (
                ministry is not None
                and ministry.name
                == "MINISTERE DU TRAVAIL DU PLEIN EMPLOI ET DE L' INSERTION"
            )
        assert await count(sessionmaker, OutboxEvent) == 12

    async def test_reimport_changes_nothing(
        self, sessionmaker: Sessions, sample: Path
    ) -> None:
        await import_rncp_export(sessionmaker, sample)
        before = await snapshot(sessionmaker)
        async with sessionmaker() as db:
            revision = await CertificationRepository(db).get_revision()
        report = await import_rncp_export(sessionmaker, sample)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 12)
        assert await snapshot(sessionmaker) == before
        assert await count(sessionmaker, OutboxEvent) == 12
        async with sessionmaker() as db:
            assert await CertificationRepository(db).get_revision() == revision

    async def test_updates_a_changed_fiche(
        self, sessionmaker: Sessions, sample: Path, tmp_path: Path
    ) -> None:
        await import_rncp_export(sessionmaker, sample)
        changed = tmp_path / "changed.xml"
        changed.write_text(
            sample.read_text("utf-8").replace(
                "<INTITULE>Développeur web et web mobile</INTITULE>",
                "<INTITULE>Développeur web</INTITULE>",
            ),
            "utf-8",
        )
        report = await import_rncp_export(sessionmaker, changed)
        assert (report.created, report.updated, report.unchanged) == (0, 1, 11)
        async with sessionmaker() as db:
            row = await db.execute(
                select(Certification.title, Certification.version).where(
                    Certification.rncp_code == "RNCP37674"
                )
            )
            assert tuple(row.one()) == ("Développeur web", 2)
        async with sessionmaker() as db:
            types = (
                await db.scalars(
                    select(OutboxEvent.type).where(OutboxEvent.subject == "RNCP37674")
                )
            ).all()
        assert sorted(types) == [
            "fr.vae.catalog.certification-created.v1",
            "fr.vae.catalog.certification-updated.v1",
        ]

    async def test_a_bad_file_leaves_the_catalog_as_it_was(
        self, sessionmaker: Sessions, sample: Path, tmp_path: Path
    ) -> None:
        await import_rncp_export(sessionmaker, sample)
        before = await snapshot(sessionmaker)
        text = sample.read_text("utf-8").replace(
            "Développeur web et web mobile", "Développeur web modifié"
        )
        truncated = tmp_path / "truncated.xml"
        truncated.write_text(text[: len(text) - 2000], "utf-8")
        with pytest.raises(ExportFormatError, match="truncated"):
            await import_rncp_export(sessionmaker, truncated, batch_size=2)
        assert await snapshot(sessionmaker) == before
        assert await count(sessionmaker, OutboxEvent) == 12

    async def test_a_bad_first_import_writes_nothing(
        self, sessionmaker: Sessions, sample: Path, tmp_path: Path
    ) -> None:
        text = sample.read_text("utf-8")
        truncated = tmp_path / "truncated.xml"
        truncated.write_text(text[: len(text) - 500], "utf-8")
        with pytest.raises(ExportFormatError):
            await import_rncp_export(sessionmaker, truncated, batch_size=1)
        assert await count(sessionmaker, Certification) == 0
        assert await count(sessionmaker, Certifier) == 0

    async def test_skips_a_repeated_fiche(
        self, sessionmaker: Sessions, sample: Path, tmp_path: Path
    ) -> None:
        text = sample.read_text("utf-8")
        first = text.index("<FICHE>")
        end = text.index("</FICHE>") + len("</FICHE>")
        doubled = tmp_path / "doubled.xml"
        doubled.write_text(text[:end] + text[first:end] + text[end:], "utf-8")
        report = await import_rncp_export(sessionmaker, doubled)
        assert (report.created, report.skipped) == (12, 1)
        assert "appears earlier" in str(report.skipped_fiches[0]["reason"])

    async def test_keeps_an_administrators_retention_policy(
        self, sessionmaker: Sessions, sample: Path, tmp_path: Path
    ) -> None:
        await import_rncp_export(sessionmaker, sample)
        async with sessionmaker() as db, db.begin():
            assert await CertificationRepository(db).set_retention(
                "RNCP37674",
                policy=RetentionPolicy.NONE,
                years=None,
                expected_version=1,
                now=utcnow(),
            )
        changed = tmp_path / "changed.xml"
        changed.write_text(
            sample.read_text("utf-8").replace(
                "Développeur web et web mobile", "Développeur web"
            ),
            "utf-8",
        )
        await import_rncp_export(sessionmaker, changed)
        async with sessionmaker() as db:
            row = (
                await db.execute(
                    select(
                        Certification.retention_policy,
                        Certification.retention_policy_source,
                    ).where(Certification.rncp_code == "RNCP37674")
                )
            ).one()
        assert tuple(row) == ("NONE", "MANUAL")

    async def test_the_export_takes_over_a_kept_certification(
        self, sessionmaker: Sessions, sample: Path
    ) -> None:
        async with sessionmaker() as db:
            await create_certification(
                db, rncp_code="RNCP37674", title="Ancienne saisie manuelle", blocks=[]
            )
        report = await import_rncp_export(sessionmaker, sample)
        assert (report.created, report.updated) == (11, 1)
        async with sessionmaker() as db:
            row = (
                await db.execute(
                    select(Certification.source, Certification.title).where(
                        Certification.rncp_code == "RNCP37674"
                    )
                )
            ).one()
        assert tuple(row) == ("RNCP_EXPORT", "Développeur web et web mobile")


class TestImportSyntheticExport:
    async def test_imports_every_generated_fiche(
        self, sessionmaker: Sessions, tmp_path: Path
    ) -> None:
        synthetic = pytest.importorskip("catalog.rncp_import.synthetic")
        path = tmp_path / "export-fiches-rncp-v4-1-2026-11-27.zip"
        stats = synthetic.write_synthetic_export(path, fiches=300, seed=7)
        report = await import_rncp_export(sessionmaker, path, batch_size=64)
        assert report.fiches_read == stats.fiches == 300
        assert report.created + report.skipped == 300
        assert report.skipped == 0, report.skipped_fiches[:5]
        assert await count(sessionmaker, Block) == stats.blocks

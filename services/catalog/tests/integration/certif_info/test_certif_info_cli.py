"""The command line: catalog import-certif-info and generate-certif-info."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import create_certification
from typer.testing import CliRunner

from catalog.certification.repository import CertificationRepository
from catalog.cli import app
from catalog.config import get_settings
from common import create_engine, create_sessionmaker


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def in_database(url: str, work: object) -> object:
    async def run() -> object:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as db:
                return await work(db)  # type: ignore[operator]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_imports_generates_and_summarises(cli_database: str, tmp_path: Path) -> None:
    async def seed(db: object) -> list[str]:
        return [await create_certification(db) for _ in range(3)]  # type: ignore[arg-type]

    codes = in_database(cli_database, seed)
    assert isinstance(codes, list)
    runner = CliRunner()
    csv = tmp_path / "certif-info.csv"
    generated = runner.invoke(app, ["generate-certif-info", str(csv), "--no-noise"])
    assert generated.exit_code == 0, generated.output
    data = csv.read_bytes().decode("cp1252")
    assert data.startswith("Code_Diplome;") and all(
        c.removeprefix("RNCP") in data for c in codes
    )
    with csv.open("ab") as out:
        out.write(b"not-a-code;x;123;;\r\n")

    result = runner.invoke(app, ["import-certif-info", str(csv)])
    assert result.exit_code == 0, result.output
    assert "Certif Info import (CERTIF_INFO_OPEN_DATA" in result.output
    assert "skipped line 5: Code_Diplome 'not-a-code'" in result.output

    async def links(db: object) -> dict[str, int | None]:
        async with db.begin():  # type: ignore[attr-defined]
            return await CertificationRepository(db).get_certif_info_links()  # type: ignore[arg-type]

    linked = in_database(cli_database, links)
    assert isinstance(linked, dict)
    assert all(linked[code] is not None for code in codes)

    again = runner.invoke(app, ["import-certif-info", str(csv), "--overwrite"])
    assert again.exit_code == 0, again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("Numero_Fiche;Intitule\n")
    failed = runner.invoke(app, ["import-certif-info", str(bad)])
    assert failed.exit_code == 2 and "Import refused" in failed.output

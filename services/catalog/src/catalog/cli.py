"""The catalog's command line: import an RNCP export or the Certif Info correspondence, load the demo
data, generate synthetic files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from catalog.certif_info import service as certif_info_service
from catalog.certif_info.service import CertifInfoReport
from catalog.config import get_settings
from catalog.demo.loader import load_demo
from catalog.rncp_import.parser import ExportFormatError
from catalog.rncp_import.service import ImportProgress, ImportReport, import_rncp_export
from common import (
    ServiceError,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)

app = typer.Typer(
    help="VAE catalog: RNCP certifications and their blocks.", no_args_is_help=True
)
console = Console(stderr=True)


@app.command("import-rncp")
def import_rncp(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="The RNCP export: export-fiches-rncp-v4-1-AAAA-MM-JJ.zip or its XML.",
        ),
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Fiches written per batch.")
    ] = 500,
) -> None:
    """Import an RNCP open-data export (XML v4.x, plain or zipped) into the catalog, all or nothing."""
    report = asyncio.run(_import(path, path.stat().st_size, batch_size))
    table = Table(title=f"RNCP import (VERSION_FLUX {report.version})")
    for column in ("read", "created", "updated", "unchanged", "skipped", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(v)
            for v in (
                report.fiches_read,
                report.created,
                report.updated,
                report.unchanged,
                report.skipped,
            )
        ),
        f"{report.duration_seconds:.1f}",
    )
    console.print(table)
    for skipped in report.skipped_fiches[:20]:
        console.print(
            f"  skipped {skipped['rncp_code'] or '(no number)'}: {skipped['reason']}"
        )
    if report.skipped > 20:
        console.print(f"  … and {report.skipped - 20} more skipped fiches")


async def _import(path: Path, size: int, batch_size: int) -> ImportReport:
    engine = create_engine(get_settings().database_url)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[fiches]:,} fiches"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Importing", total=size, fiches=0)

            async def on_progress(state: ImportProgress) -> None:
                progress.update(
                    task, completed=state.bytes_read, fiches=state.fiches_read
                )

            report = await import_rncp_export(
                create_sessionmaker(engine),
                path,
                batch_size=batch_size,
                on_progress=on_progress,
            )
            progress.update(task, completed=size)
            return report
    except ExportFormatError as error:
        console.print(f"[red]Import refused:[/red] {error}")
        raise typer.Exit(code=2) from error
    finally:
        await engine.dispose()


@app.command("import-certif-info")
def import_certif_info(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="The Certif Info correspondence CSV: the open data (opendata-certifinfo-*.csv) or Onisep's table de passage.",
        ),
    ],
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace links already in the catalog that the file contradicts (reported as conflicts otherwise)."
        ),
    ] = False,
) -> None:
    """Link certifications to their code Certif Info, all or nothing; conflicts are reported."""
    report = asyncio.run(_import_certif_info(path, path.stat().st_size, overwrite))
    table = Table(title=f"Certif Info import ({report.file_format}, {report.encoding})")
    columns = (
        ("rows read", report.rows_read),
        ("linked", report.linked),
        ("unchanged", report.unchanged),
        ("unlinked", report.unlinked),
        ("no RNCP code", report.rows_without_rncp_code),
        ("unknown RNCP", report.unknown_rncp_codes),
        ("conflicts", report.conflicts),
        ("skipped", report.skipped),
    )
    for name, _value in columns:
        table.add_column(name, justify="right")
    table.add_column("seconds", justify="right")
    table.add_row(
        *(f"{value:,}" for _name, value in columns), f"{report.duration_seconds:.2f}"
    )
    console.print(table)
    details = (
        ("skipped", [f"line {x['line']}: {x['reason']}" for x in report.skipped_rows]),
        (
            "conflict",
            [
                f"{x['kind']} (lines {', '.join(map(str, x['lines']))}): {x['detail']}"
                for x in report.conflict_details
            ],
        ),
        (
            "unknown RNCP code",
            [
                f"line {x['line']}: {x['rncp_code']} (Certif Info {x['certif_info_id']})"
                for x in report.unknown_rncp_code_rows
            ],
        ),
    )
    for title, lines in details:
        for line in lines[:20]:
            console.print(f"  {title} {line}")
        if len(lines) > 20:
            console.print(
                f"  … and {len(lines) - 20} more ({title}): see the report of POST /v1/imports/certif-info"
            )


async def _file_chunks(path: Path, size: int = 1 << 20) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(size):
            yield chunk


async def _import_certif_info(
    path: Path, size: int, overwrite: bool
) -> CertifInfoReport:
    engine = create_engine(get_settings().database_url)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            console=console,
        ) as progress:
            task = progress.add_task("Reading", total=size, rows=0)

            async def on_progress(state: CertifInfoReport) -> None:
                progress.update(task, completed=state.bytes_read, rows=state.rows_read)
                if state.bytes_read >= size:
                    progress.update(task, description="Linking")

            async with create_sessionmaker(engine)() as db:
                return await certif_info_service.import_certif_info(
                    db, _file_chunks(path), overwrite=overwrite, on_progress=on_progress
                )
    except ServiceError as error:
        console.print(f"[red]Import refused:[/red] {error.detail}")
        raise typer.Exit(code=2) from error
    finally:
        await engine.dispose()


@app.command("generate-certif-info")
def generate_certif_info(
    path: Annotated[
        Path, typer.Argument(dir_okay=False, help="Where to write the CSV.")
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same file.")
    ] = 20_240_701,
    noise: Annotated[
        bool,
        typer.Option(
            help="Add rows without RNCP code and unknown RNCP numbers, as in the real file."
        ),
    ] = True,
) -> None:
    """Write a synthetic Certif Info correspondence for the certifications of the catalog's database."""
    from catalog.certif_info.synthetic import write_synthetic_csv
    from catalog.certification.repository import CertificationRepository

    async def certifications() -> list[tuple[str, str]]:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_read_sessionmaker(engine)() as db:
                return await CertificationRepository(db).list_titles()
        finally:
            await engine.dispose()

    found = asyncio.run(certifications())
    rows = write_synthetic_csv(path, found, seed=seed, noise=noise)
    console.print(
        f"{path}: {rows:,} rows for {len(found):,} certifications (Windows-1252, ;)"
    )


@app.command("load-demo")
def load_demo_command() -> None:
    """Load the demo certifications (top VAE diplomas, titres professionnels, CQPM/TPM) and their
    (fictional) Certif Info codes; idempotent."""

    async def run() -> tuple[int, int, int, int]:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                report = await load_demo(db)
                return (
                    report.created,
                    report.updated,
                    report.unchanged,
                    report.certif_info_linked,
                )
        finally:
            await engine.dispose()

    created, updated, unchanged, linked = asyncio.run(run())
    console.print(
        f"Demo certifications: {created} created, {updated} updated, {unchanged} unchanged; "
        f"{linked} Certif Info codes linked."
    )


@app.command("generate-export")
def generate_export(
    path: Annotated[
        Path,
        typer.Argument(
            dir_okay=False,
            help="Where to write: a .zip (like France compétences) or a .xml.",
        ),
    ],
    fiches: Annotated[
        int,
        typer.Option(min=1, help="Number of fiches (the real RNCP export has 25,638)."),
    ] = 25_638,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same file.")
    ] = 20_260_816,
) -> None:
    """Write a synthetic RNCP export shaped like the real one, for benchmarks."""
    from catalog.rncp_import.synthetic import write_synthetic_export

    with Progress(
        TextColumn("[bold]Generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} fiches"),
        console=console,
    ) as progress:
        task = progress.add_task("generate", total=fiches)
        stats = write_synthetic_export(
            path,
            fiches=fiches,
            seed=seed,
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(
        f"{path}: {stats.fiches:,} fiches, {stats.blocks:,} blocks, {stats.partners:,} partners, {stats.bytes_written / 1e6:,.0f} MB of XML"
    )


if __name__ == "__main__":
    app()

"""The catalog's command line: import an RNCP export, load the demo data, generate a synthetic export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

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

from catalog.config import get_settings
from catalog.demo.loader import load_demo
from catalog.rncp_import.parser import ExportFormatError
from catalog.rncp_import.service import ImportProgress, ImportReport, import_rncp_export
from common import create_engine, create_sessionmaker

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


@app.command("load-demo")
def load_demo_command() -> None:
    """Load the demo certifications (top VAE diplomas, titres professionnels, CQPM/TPM); idempotent."""

    async def run() -> tuple[int, int, int]:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                return await load_demo(db)
        finally:
            await engine.dispose()

    created, updated, unchanged = asyncio.run(run())
    console.print(
        f"Demo certifications: {created} created, {updated} updated, {unchanged} unchanged."
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

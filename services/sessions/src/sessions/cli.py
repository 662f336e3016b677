"""The sessions service's command line: the demo data."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
import typer
from rich.console import Console

from common import create_engine, create_sessionmaker
from sessions.clients.catalog import CatalogClient
from sessions.config import get_settings
from sessions.demo.loader import DEMO_EXAM_CENTRE, DemoReport, load_demo
from sessions.errors import CatalogUnavailableError

app = typer.Typer(
    help="VAE sessions service: exam centres, jurors, exam sessions and reports.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """VAE sessions service: exam centres, jurors, exam sessions and reports."""


@app.command("load-demo")
def load_demo_command(
    exam_centre: Annotated[
        str,
        typer.Option(
            help="Id of the demo exam centre (the demo exam_centre API key acts for it)."
        ),
    ] = DEMO_EXAM_CENTRE,
) -> None:
    """Load a demo exam centre with sites, approvals, jurors and sessions (needs the catalog running); idempotent."""
    settings = get_settings()
    try:
        report = asyncio.run(
            _load_demo(settings.database_url, settings.catalog_url, exam_centre)
        )
    except CatalogUnavailableError as error:
        console.print(f"[red]{error.detail}[/red] (catalog at {settings.catalog_url})")
        raise typer.Exit(1) from error
    if report.sessions:
        console.print(
            f"Demo loaded: exam centre {exam_centre} with {report.approvals} approvals, "
            f"{report.jurors} jurors and {report.sessions} sessions."
        )
    else:
        console.print(f"Demo already loaded for exam centre {exam_centre}.")


async def _load_demo(url: str, catalog_url: str, centre_id: str) -> DemoReport:
    engine = create_engine(url)
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await load_demo(
                create_sessionmaker(engine),
                CatalogClient(http, catalog_url),
                centre_id=centre_id,
            )
    finally:
        await engine.dispose()

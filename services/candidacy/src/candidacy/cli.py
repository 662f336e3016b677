"""The candidacy service's command line: the expiry sweep, the demo data."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import httpx
import typer
from rich.console import Console

from candidacy.candidacy.service import today_in_paris
from candidacy.clients.catalog import CatalogClient
from candidacy.config import get_settings
from candidacy.demo.loader import DemoReport, load_demo
from candidacy.errors import CatalogUnavailableError
from candidacy.ledger.service import SweepReport, sweep_expiries
from common import create_engine, create_sessionmaker

# The partner organisation of the demo (the demo partner API key of `make run` acts for it).
DEMO_PARTNER = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10"

app = typer.Typer(
    help="VAE candidacy service: candidates, candidacies and acquired blocks.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """VAE candidacy service: candidates, candidacies and acquired blocks."""


@app.command("sweep-expiries")
def sweep(
    today: Annotated[
        str | None,
        typer.Option(
            help="Date of the sweep (YYYY-MM-DD); today in Europe/Paris by default."
        ),
    ] = None,
    horizon_days: Annotated[
        int | None,
        typer.Option(
            min=1, max=3650, help="Announce blocks expiring within this many days."
        ),
    ] = None,
) -> None:
    """Announce acquired blocks that expire soon (block.expiring) or have expired (block.expired), once each."""
    settings = get_settings()
    try:
        day = date.fromisoformat(today) if today else today_in_paris()
    except ValueError as error:
        raise typer.BadParameter(f"{today!r} is not a date: use YYYY-MM-DD.") from error
    report = asyncio.run(
        _sweep(
            settings.database_url, day, horizon_days or settings.expiring_horizon_days
        )
    )
    console.print(
        f"Sweep of {day}: {report.expired} block(s) expired, {report.expiring} expiring within "
        f"{horizon_days or settings.expiring_horizon_days} days — events queued in the outbox."
    )


async def _sweep(url: str, day: date, horizon_days: int) -> SweepReport:
    engine = create_engine(url)
    try:
        return await sweep_expiries(
            create_sessionmaker(engine), today=day, horizon_days=horizon_days
        )
    finally:
        await engine.dispose()


@app.command("load-demo")
def load_demo_command(
    partner_organisation: Annotated[
        str,
        typer.Option(
            help="Organisation id of the demo partner (organisme accompagnateur)."
        ),
    ] = DEMO_PARTNER,
) -> None:
    """Load demo candidates and candidacies (needs the catalog running with its demo data); idempotent."""
    settings = get_settings()
    try:
        report = asyncio.run(
            _load_demo(
                settings.database_url, settings.catalog_url, partner_organisation
            )
        )
    except CatalogUnavailableError as error:
        console.print(f"[red]{error.detail}[/red] (catalog at {settings.catalog_url})")
        raise typer.Exit(1) from error
    if report.candidates:
        console.print(
            f"Demo loaded: {report.candidates} candidates and {report.candidacies} candidacies "
            f"of partner {partner_organisation}."
        )
    else:
        console.print(f"Demo already loaded for partner {partner_organisation}.")


async def _load_demo(url: str, catalog_url: str, partner_id: str) -> DemoReport:
    engine = create_engine(url)
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            return await load_demo(
                create_sessionmaker(engine),
                CatalogClient(http, catalog_url),
                partner_id=partner_id,
            )
    finally:
        await engine.dispose()

"""The webhooks service's command line: deliver outside the web process, make keys."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime, timedelta
from typing import Annotated

import typer
from cryptography.fernet import Fernet
from rich.console import Console

from common import (
    SchemaNotCurrentError,
    configure_logging,
    create_engine,
    create_sessionmaker,
    ensure_schema_current,
    utcnow,
)
from webhooks.config import ALEMBIC_INI, Settings, get_settings
from webhooks.delivery.setup import create_sender, create_worker

app = typer.Typer(
    help="VAE webhooks service: partners' subscriptions and signed deliveries of the platform's events.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """VAE webhooks service: partners' subscriptions and signed deliveries of the platform's events."""


@app.command("deliver")
def deliver_command(
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Send every delivery due now, wait for the attempts, then exit (cron jobs, "
            "tests). Without it, deliver until interrupted (Ctrl-C or SIGTERM).",
        ),
    ] = False,
) -> None:
    """Send the due deliveries to the partners' endpoints, as the web process's worker does.

    Safe beside other workers: each delivery is claimed under a lease, so no attempt is sent
    twice. Uses the WEBHOOKS_* settings (database, timeouts, concurrency, allowed networks).
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        attempts = asyncio.run(_deliver(settings, once=once))
    except SchemaNotCurrentError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"{attempts} delivery attempt(s) made.")


@app.command("generate-encryption-key")
def generate_encryption_key() -> None:
    """Print a new key for WEBHOOKS_SECRET_ENCRYPTION_KEY (Fernet: 32 random bytes, base64)."""
    typer.echo(Fernet.generate_key().decode())


async def _deliver(settings: Settings, *, once: bool) -> int:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        await ensure_schema_current(engine, ALEMBIC_INI)
        sender = create_sender(settings)
        await sender.start()
        try:

            def now() -> datetime:
                return utcnow() + timedelta(seconds=settings.clock_offset_seconds)

            worker = create_worker(
                settings, create_sessionmaker(engine), sender, clock=now
            )
            if once:
                return await worker.run_once()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await worker.run(stop)
            return worker.attempts_made
        finally:
            await sender.close()
    finally:
        await engine.dispose()

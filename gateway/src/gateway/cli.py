"""The gateway's command line: manage API clients (create, list, rotate, revoke)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common import Role, ServiceError, create_engine, create_sessionmaker
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate, ApiClientRead
from gateway.config import get_settings

app = typer.Typer(help="VAE gateway: API clients and their keys.", no_args_is_help=True)
clients = typer.Typer(
    help="Manage API clients (keys are shown once, at creation and rotation).",
    no_args_is_help=True,
)
app.add_typer(clients, name="clients")
console = Console()
T = TypeVar("T")


def _run(use_case: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                return await use_case(db)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ServiceError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(code=1) from error


def _pepper() -> str:
    return get_settings().api_key_pepper.get_secret_value()


def _show(client: ApiClientRead) -> None:
    state = "active" if client.active else f"revoked {client.revoked_at:%Y-%m-%d}"
    console.print(
        f"{client.id}  {client.role.value:<12} {client.organisation_id or '-':<38} {client.name}  ({state})"
    )


@clients.command("create")
def create(
    name: Annotated[
        str, typer.Option(help="Who the client is, e.g. « Carif-Oref Occitanie ».")
    ],
    role: Annotated[
        Role, typer.Option(help="admin, certifier, exam_centre or partner.")
    ],
    organisation_id: Annotated[
        str | None,
        typer.Option(
            help="Certifier, exam centre or organisation id (required except for admin)."
        ),
    ] = None,
    rate_limit: Annotated[
        str | None,
        typer.Option(help="e.g. 600/minute; the gateway's default if omitted."),
    ] = None,
) -> None:
    """Create an API client and print its key (shown once)."""
    try:
        payload = ApiClientCreate(
            name=name, role=role, organisation_id=organisation_id, rate_limit=rate_limit
        )
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from error
    created = _run(
        lambda db: api_client_service.create_client(db, payload, pepper=_pepper())
    )
    _show(created)
    console.print(
        f"API key (store it now, it is not shown again): [bold]{created.api_key}[/bold]"
    )


@clients.command("list")
def list_() -> None:
    """List API clients."""
    table = Table("id", "role", "organisation", "name", "active")
    for client in _run(api_client_service.list_clients):
        table.add_row(
            str(client.id),
            client.role.value,
            client.organisation_id or "-",
            client.name,
            "yes" if client.active else "no",
        )
    console.print(table)


@clients.command("rotate")
def rotate(
    client_id: Annotated[uuid.UUID, typer.Argument(help="The client's id.")],
) -> None:
    """Issue a new key for a client; its previous key stops working."""
    rotated = _run(
        lambda db: api_client_service.rotate_key(db, client_id, pepper=_pepper())
    )
    _show(rotated)
    console.print(
        f"New API key (store it now, it is not shown again): [bold]{rotated.api_key}[/bold]"
    )


@clients.command("revoke")
def revoke(
    client_id: Annotated[uuid.UUID, typer.Argument(help="The client's id.")],
) -> None:
    """Revoke a client: its key stops working."""
    _show(_run(lambda db: api_client_service.revoke_client(db, client_id)))


if __name__ == "__main__":
    app()

"""The command line: `webhooks deliver --once` sends what is due, as a separate process."""

from __future__ import annotations

import asyncio
import sys
from ipaddress import ip_network
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner
from webhooks_factories import (
    CERTIFICATION_CREATED,
    Clock,
    TokenFactory,
    cloudevent,
    create_subscription,
    post_event,
    receivers,
    running_app,
)

from common import Environment, Role
from common.testing import migrated_database
from webhooks.cli import app as cli
from webhooks.config import ALEMBIC_INI, Settings

pytestmark = pytest.mark.asyncio


async def test_help_is_in_english() -> None:
    result = CliRunner().invoke(cli, ["deliver", "--help"])
    assert result.exit_code == 0
    assert "--once" in result.output
    assert "Send every delivery due now" in result.output
    assert "generate-encryption-key" in CliRunner().invoke(cli, ["--help"]).output


async def test_deliver_once_in_another_process(
    tmp_path: Path,
    signing_keys: tuple[str, str],
    event_secret: str,
    auth: TokenFactory,
    clock: Clock,
) -> None:
    # Once, on SQLite: the process is the point here, the claims are tested on both databases.
    async with migrated_database("sqlite", tmp_path, ALEMBIC_INI, "cli") as url:
        settings = Settings(
            environment=Environment.TEST,
            database_url=url,
            internal_token_public_key=SecretStr(signing_keys[1]),
            event_secrets=[SecretStr(event_secret)],
            delivery_enabled=False,
            allow_http=True,
            allowed_networks=[ip_network("127.0.0.0/8")],
        )
        async with (
            receivers() as [endpoint],
            running_app(settings, clock=clock) as (_, client),
        ):
            created = await create_subscription(
                client, auth(Role.ADMIN), endpoint.url(), [CERTIFICATION_CREATED]
            )
            endpoint.secrets["current"] = created["secret"]
            document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
            await post_event(client, event_secret, document)
            process = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "webhooks"),
                "deliver",
                "--once",
                env={
                    "PATH": str(Path(sys.executable).parent),
                    "WEBHOOKS_ENVIRONMENT": "test",
                    "WEBHOOKS_DATABASE_URL": url,
                    "WEBHOOKS_ALLOW_HTTP": "true",
                    "WEBHOOKS_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
                    "WEBHOOKS_LOG_LEVEL": "WARNING",
                },
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, stderr.decode()
            assert "1 delivery attempt(s) made." in stderr.decode()
            [received] = endpoint.received
            assert received.verified_by == ["current"]
            assert received.headers["webhook-id"] == document["id"]

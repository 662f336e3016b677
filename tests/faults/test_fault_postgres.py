"""PostgreSQL crashes and comes back under a write load (a private cluster, never the
machine's shared server): the services reconnect without a restart, nothing acknowledged is
lost, nothing retried is doubled (short version; the long one is bench/faults_bench.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fault_harness import (
    Stack,
    restart_postgres,
    run_scenario,
    running_stack,
    table_row,
)

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Every process on its own database of a private PostgreSQL cluster."""
    async with running_stack(
        tmp_path_factory.mktemp("fault-postgres"), private_postgres=True
    ) as running:
        yield running


async def test_postgres_restart_under_load_loses_and_doubles_nothing(
    stack: Stack,
) -> None:
    processes = {name: p.process.pid for name, p in stack.platform.processes.items()}
    result = await run_scenario(
        stack, "PostgreSQL restart", restart_postgres(), probe_service="candidacy"
    )
    print(table_row(result))
    result.assert_reconciled()
    # The same processes answer again: they reconnected, nobody restarted them.
    assert {
        name: p.process.pid for name, p in stack.platform.processes.items()
    } == processes
    assert all(p.process.poll() is None for p in stack.platform.processes.values())
    assert result.hangs == 0

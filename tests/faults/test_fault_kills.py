"""kill -9 and restart of each service and of the gateway under a write load: nothing
acknowledged is lost, nothing retried is doubled, no session is overbooked, and the gateway
answers problem+json while the process is down (short version; the long one is
bench/faults_bench.py).

A write killed after its route committed and before IdempotencyMiddleware stored the answer
is not run again by its retry: the key was marked APPLIED in the route's own transaction, and
the retry gets 409 IDEMPOTENCY_KEY_APPLIED (counted as "conflict", with its one row)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fault_harness import Stack, kill_process, run_scenario, running_stack, table_row

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """One platform for the five kills, each scenario with its own session and writes, on a
    private PostgreSQL cluster: this suite neither starves nor is starved by the others."""
    async with running_stack(
        tmp_path_factory.mktemp("fault-kills"), private_postgres=True
    ) as running:
        yield running


@pytest.mark.parametrize(
    "process", ["candidacy", "sessions", "webhooks", "catalog", "gateway"]
)
async def test_kill_and_restart_loses_and_doubles_nothing(
    stack: Stack, process: str
) -> None:
    result = await run_scenario(
        stack, f"kill -9 {process}", kill_process(process), probe_service=process
    )
    print(table_row(result))
    result.assert_reconciled()
    # While the process was down, the gateway answered (problem+json 5xx) or, when the gateway
    # itself was down, the connection was refused: no request waited past its deadline.
    assert result.hangs == 0
    if process != "gateway":
        assert "no answer" not in result.fault_statuses, result.fault_statuses

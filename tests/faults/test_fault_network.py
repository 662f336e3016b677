"""Faults between the gateway and one upstream (2 s of latency, then connection resets, on the
candidacy service through a fault proxy), and a relay killed between publish and mark-sent:
the gateway answers within its deadline, idempotent retries never double a write, and the
relay's redelivery is applied once (short version; the long one is bench/faults_bench.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fault_harness import (
    Stack,
    kill_relay_mid_delivery,
    relay_redelivery,
    run_scenario,
    running_stack,
    short_candidacy_deadlines,
    table_row,
    upstream_latency,
    upstream_resets,
)

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# The candidacy routes' deadline, shorter than the injected latency: the gateway must answer
# 504 in time while the service still does the work, which the retry with the same key finds.
CANDIDACY_DEADLINE = 1.5


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The gateway reaches the candidacy service through a fault proxy; the candidacy relay
    delivers to a receiver that kills it when armed."""
    async with running_stack(
        tmp_path_factory.mktemp("fault-network"),
        private_postgres=True,
        proxy_candidacy=True,
        relay_killer=True,
        gateway_env=short_candidacy_deadlines(CANDIDACY_DEADLINE),
    ) as running:
        yield running


async def test_two_seconds_of_latency_answer_within_the_deadline(stack: Stack) -> None:
    result = await run_scenario(
        stack,
        "2 s latency on candidacy",
        upstream_latency(2.0),
        probe_service="candidacy",
    )
    print(table_row(result))
    result.assert_reconciled()
    # Every answer in the fault came by the route's deadline (plus scheduling slack), as a
    # 504 or a fast 503 once the breaker opened; a 504'd write that the service completed
    # is found by its retry (the stored answer replayed), never done twice.
    assert result.fault_max_seconds < CANDIDACY_DEADLINE + 3.0, result.fault_statuses
    assert "504" in result.fault_statuses or "503" in result.fault_statuses


async def test_connection_resets_are_answered_and_retried_once(stack: Stack) -> None:
    result = await run_scenario(
        stack, "resets on candidacy", upstream_resets(), probe_service="candidacy"
    )
    print(table_row(result))
    result.assert_reconciled()
    assert "no answer" not in result.fault_statuses, result.fault_statuses
    assert {"502", "503"} & set(result.fault_statuses), result.fault_statuses


async def test_a_relay_killed_before_mark_sent_delivers_again_applied_once(
    stack: Stack,
) -> None:
    result = await run_scenario(
        stack,
        "relay killed before mark-sent",
        kill_relay_mid_delivery(),
        probe_service="candidacy",
    )
    print(table_row(result))
    result.assert_reconciled()
    seen = await relay_redelivery(stack)
    assert seen["marked_sent"], seen
    assert seen["relay_deliveries"] >= 2, seen  # delivered again after the restart
    assert (seen["intake_rows"], seen["partner_deliveries_queued"]) == (1, 1), seen
    assert seen["partner_received"] >= 1, seen

"""Job queries keep to their limit at the moment they go out, over HTTP to the simulator: they do
not wait behind lookups holding every connection slot, and a retried query takes a turn of its
own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.bms.client import MAX_IN_FLIGHT, STOP_SLOTS, BmsClient
from bot.bms.signing import AkSkAuth
from bot.rates import spacing
from bot.retry import RetryPolicy
from simulator.runner import start_simulator
from simulator.state import Simulator
from tests.support.harness import AK, PROJECT, SK, new_simulator


@pytest.fixture
async def sim() -> AsyncIterator[tuple[Simulator, str]]:
    simulator = new_simulator(stop_seconds=3600)
    async with await start_simulator(simulator) as running:
        yield simulator, running.url


def client_for(url: str, per_minute: float) -> BmsClient:
    return BmsClient.create(
        url,
        PROJECT,
        AkSkAuth(AK, SK, project_id=PROJECT),
        retry=RetryPolicy.no_wait(5),
        job_queries_per_minute=per_minute,
    )


def job_answers(simulator: Simulator) -> list[int]:
    return [r.status for r in simulator.request_log if "/jobs/" in r.path]


async def test_a_job_query_does_not_wait_behind_lookups_holding_every_slot(
    sim: tuple[Simulator, str],
) -> None:
    """Slow server lookups hold every lookup slot: a job query still goes out on its turn and is
    answered while they wait (it used to wait for their slots, then go out bunched with the
    queries behind it, and the bunch crossed the limit)."""
    simulator, url = sim
    job = simulator.submit_stop([simulator.seed(1)[0].id])
    lookups = MAX_IN_FLIGHT - STOP_SLOTS
    simulator.faults.add("server", delay=3.0, times=lookups, message="slow")
    servers = [s.id for s in simulator.seed(lookups, prefix="slow")]
    client = client_for(url, 600)
    try:
        slow = [asyncio.create_task(client.get_server(i)) for i in servers]
        await asyncio.sleep(0.2)  # every lookup slot is taken
        answers = [await client.get_job(job.job_id) for _ in range(3)]
        waiting = sum(1 for t in slow if not t.done())
        await asyncio.gather(*slow)
    finally:
        await client.aclose()
    assert [a.job_id for a in answers] == [job.job_id] * 3
    assert waiting == len(slow), "the job queries waited for the lookups' slots"
    assert job_answers(simulator) == [200, 200, 200]


async def test_a_retried_job_query_waits_for_a_turn_of_its_own(
    sim: tuple[Simulator, str],
) -> None:
    """Two throttled answers, then the job: three queries, each on its own turn of the pace
    (two spacings at least), not three at once."""
    simulator, url = sim
    job = simulator.submit_stop([simulator.seed(1)[0].id])
    simulator.faults.add("job", 429, "APIGW.0308", "Throttled.", times=2)
    client = client_for(url, 600)
    try:
        started = time.monotonic()
        answer = await client.get_job(job.job_id)
        took = time.monotonic() - started
    finally:
        await client.aclose()
    assert answer.job_id == job.job_id
    assert job_answers(simulator) == [429, 429, 200]
    assert took >= 2 * spacing(600) * 0.95, took

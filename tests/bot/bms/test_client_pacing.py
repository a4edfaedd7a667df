"""Job queries keep to their limit at the moment they go out, over HTTP to the simulator: lookups
holding every connection slot do not bunch them, and a retried query takes a turn of its own."""

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
from simulator.throttle import Throttle
from tests.support.harness import AK, PROJECT, SK, new_simulator

SPEED_UP = 60  # the gateway's 60-second window, seen as one second here


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


async def test_lookups_holding_every_slot_do_not_bunch_job_queries(
    sim: tuple[Simulator, str],
) -> None:
    """Slow server lookups fill every connection slot while sixty polls wait their turns: when
    the lookups end the polls do not go out together; the gateway refuses none of them."""
    simulator, url = sim
    window = 20  # job queries the gateway takes in its (shortened) window
    simulator.throttle = Throttle(lambda: time.monotonic() * SPEED_UP, {"job": window})
    job = simulator.submit_stop([simulator.seed(1)[0].id])
    lookups = MAX_IN_FLIGHT - STOP_SLOTS
    simulator.faults.add("server", delay=1.0, times=lookups, message="slow")
    servers = [s.id for s in simulator.seed(lookups, prefix="slow")]
    client = client_for(url, window * SPEED_UP)
    try:
        slow = [asyncio.create_task(client.get_server(i)) for i in servers]
        await asyncio.sleep(0.1)  # every lookup slot is taken
        await asyncio.gather(*(client.get_job(job.job_id) for _ in range(60)))
        await asyncio.gather(*slow)
    finally:
        await client.aclose()
    answers = job_answers(simulator)
    assert 429 not in answers, answers
    assert len(answers) == 60


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

"""Fixtures for the simulator tests: a fake clock, a simulator on loopback, and a signed client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sim_support import AK, IAM_DOMAIN, IAM_PASSWORD, IAM_USER, PROJECT, SK, FakeClock

from bot.bms.signing import AkSkAuth
from simulator import RunningSimulator, Simulator, start_simulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Simulator:
    return Simulator(
        PROJECT,
        AK,
        SK,
        clock=clock,
        iam_user=IAM_USER,
        iam_password=IAM_PASSWORD,
        iam_domain=IAM_DOMAIN,
    )


@pytest.fixture
async def running(sim: Simulator) -> AsyncIterator[RunningSimulator]:
    server = await start_simulator(sim)
    yield server
    await server.close()


@pytest.fixture
async def client(running: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    auth = AkSkAuth(AK, SK, PROJECT)
    async with httpx.AsyncClient(base_url=running.url, auth=auth, timeout=5.0) as http:
        yield http

"""Several real ``bms-bot`` processes on one PostgreSQL database: one leader runs the polls, work
a follower took is finished by the leader, and ``kill -9`` of the leader mid-poll hands over
within the leader timeout with each stop sent once and each result part posted once."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.bot.test_runtime_restart import (
    UNCERTAIN,
    World,
    assert_each_part_once,
    assert_no_secrets,
    job_polls,
    world_of,
)
from tests.conftest import postgres_url
from tests.support.bot_process import BotProcess, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LEADER_TIMEOUT = 3.0


async def terminate_connections(url: str) -> int:
    """``pg_terminate_backend`` on every session of the bots' database; how many."""
    base, name = url.rsplit("/", 1)
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            killed = await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            return len(killed.scalars().all())
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def own_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for this test alone (dropped afterwards)."""
    base, _ = postgres_url().rsplit("/", 1)
    name = f"bms_replicas_{secrets.token_hex(4)}"
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()


@contextlib.asynccontextmanager
async def replicas_world(tmp_path: Path, **kw: Any) -> AsyncIterator[World]:
    """The fakes and a database of its own, for replicas with a short leader timeout."""
    kw.setdefault("stop_seconds", 2.5)
    async with (
        own_database() as url,
        world_of(
            tmp_path,
            channel_name="incident-42",
            BMS_DATABASE_URL=url,
            BMS_LEADER_TIMEOUT=str(LEADER_TIMEOUT),
            **kw,
        ) as w,
    ):
        yield w


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with replicas_world(tmp_path) as w:
        yield w


async def replica(world: World, name: str) -> BotProcess:
    """Another replica on the same database, on a port of its own."""
    bot = BotProcess.start({**world.env, "PORT": str(free_port())}, world.tmp_path, name)
    world.bots.append(bot)
    await bot.wait_healthy()
    return bot


async def role_of(bot: BotProcess) -> str | None:
    health = await bot.health()
    return None if health is None else str(health["role"])


async def until_role(bot: BotProcess, role: str, within: float) -> float:
    started = time.monotonic()
    while await role_of(bot) != role:
        assert time.monotonic() - started < within, f"{bot.log_path.name} is not {role}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_two_replicas_one_leader_and_a_followers_stop_reported_once(world: World) -> None:
    """A stop confirmed on the follower is sent by it and polled and reported by the leader,
    once; every log line names its replica's role."""
    servers = world.sim.seed(2)
    first = await replica(world, "first")
    second = await replica(world, "second")
    assert await role_of(first) == "leader"
    assert await role_of(second) == "follower"
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(second, request_id)
    await world.wait_for(world.result_parts, timeout=15)
    await world.wait_idle(first)

    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    assert (await second.health() or {}).get("watching") == 0
    assert '"role": "follower"' in second.logs()
    assert '"role": "leader"' in first.logs()
    assert_no_secrets(world)


async def test_kill_the_leader_mid_poll_and_the_follower_takes_over(world: World) -> None:
    """``kill -9`` of the leader while it polls: the follower leads within the timeout, polls
    the job, and the results are posted once; no stop is sent twice."""
    servers = world.sim.seed(2)
    world.sim.stop_seconds = 4.0
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: world.sim.stop_calls and job_polls(world.sim) >= 1)
    [job] = world.sim.jobs.values()
    assert job.status == "RUNNING", "the job ended before the kill: nothing was cut mid-poll"

    first.kill()
    polls_before = job_polls(world.sim)
    killed_at = time.monotonic()
    await until_role(second, "leader", LEADER_TIMEOUT + 2)
    while job_polls(world.sim) == polls_before:
        assert time.monotonic() - killed_at < LEADER_TIMEOUT + 5, world.logs()
        await asyncio.sleep(0.02)
    assert time.monotonic() - killed_at <= LEADER_TIMEOUT + 1, "took over too slowly"
    await world.wait_for(world.result_parts, timeout=15)
    await world.wait_idle(second)

    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    assert all(s.status == "SHUTOFF" for s in servers)


async def test_kill_a_replica_while_its_stop_call_is_in_flight(world: World) -> None:
    """The replica that sent the stop dies before Huawei answers: the leader leaves its live
    claim alone, and once the lease is over says the stop may or may not have run, never
    sending it again."""
    servers = world.sim.seed(2)
    world.sim.faults.add("stop", delay=30)  # the stop takes effect; its answer never arrives
    # A claim's lease: two HTTP timeouts, the retry budget and 10 s (17 s here).
    world.env.update(BMS_HTTP_TIMEOUT="3", BMS_RETRY_MAX_SECONDS="1")
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(second, request_id)
    await world.wait_for(lambda: world.sim.stop_calls)
    second.kill()
    await asyncio.sleep(5)
    assert UNCERTAIN not in world.channel_text()  # the lease is live: not the leader's call yet
    await world.wait_for(lambda: UNCERTAIN in world.channel_text(), timeout=30)
    assert len(world.sim.stop_calls) == 1
    assert await role_of(first) == "leader"


async def test_terminated_connections_the_replicas_reconnect_and_carry_on(world: World) -> None:
    """Every bot connection terminated under two running replicas: the leader steps down, one
    replica leads again within the timeout, and a new stop is sent once and reported once."""
    servers = world.sim.seed(2)
    first = await replica(world, "first")
    second = await replica(world, "second")
    assert await terminate_connections(world.env["BMS_DATABASE_URL"]) >= 2

    async def leaders() -> list[str | None]:
        return [await role_of(first), await role_of(second)]

    started = time.monotonic()
    while (await leaders()).count("leader") != 1 or "lost the leader" not in first.logs():
        assert time.monotonic() - started < LEADER_TIMEOUT + 3, world.logs()
        await asyncio.sleep(0.05)
    assert "lost the leader's lock; stepping down" in first.logs()
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(second, request_id)
    await world.wait_for(world.result_parts, timeout=20)
    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())

"""Leadership: one leader among replicas on PostgreSQL, a new one within the timeout, and the
leader stepping down the moment its lock's connection fails."""

from __future__ import annotations

import asyncio
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.engine import make_engine
from bot.store.leadership import LEADER_LOCK, Leadership, Role
from tests.conftest import postgres_url

TIMEOUT = 3.0  # the smallest the setting allows: checks every second


class Replica:
    """One replica's view of its role: what ``lead`` and ``follow`` were told, and when."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.engine = make_engine(postgres_url())
        self.leadership = Leadership(self.engine, TIMEOUT)
        self.led: list[float] = []
        self.followed: list[float] = []

    async def lead(self) -> None:
        self.led.append(time.monotonic())

    def follow(self) -> None:
        self.followed.append(time.monotonic())

    async def start(self) -> None:
        await self.leadership.start(self.lead, self.follow)

    async def stop(self) -> None:
        await self.leadership.stop()
        await self.engine.dispose()


async def until(check, within: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "not within the time allowed"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_sqlite_is_always_the_single_leader(tmp_path) -> None:
    """On SQLite the one process leads from the start, its start-up work awaited."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    led: list[bool] = []

    async def lead() -> None:
        led.append(True)

    leadership = Leadership(engine, TIMEOUT)
    await leadership.start(lead, lambda: None)
    assert leadership.role is Role.SINGLE
    assert led == [True]
    await leadership.stop()
    await engine.dispose()


@pytest.mark.postgres
async def test_one_leader_among_three_and_a_new_one_when_it_goes() -> None:
    """Three replicas: exactly one leads; when it stops, another leads within the timeout."""
    replicas = [Replica(n) for n in "abc"]
    try:
        await asyncio.gather(*(r.start() for r in replicas))
        leaders = [r for r in replicas if r.leadership.role is Role.LEADER]
        assert len(leaders) == 1
        assert [len(r.led) for r in replicas].count(1) == 1
        await leaders[0].stop()
        rest = [r for r in replicas if r is not leaders[0]]

        def one_leads() -> bool:
            return [r.leadership.role for r in rest].count(Role.LEADER) == 1

        took = await until(one_leads, TIMEOUT + 1)
        assert took <= TIMEOUT
        await asyncio.sleep(TIMEOUT)  # and it stays one
        assert one_leads()
    finally:
        for r in replicas:
            await r.stop()


@pytest.mark.postgres
async def test_the_leader_steps_down_when_its_connection_is_terminated() -> None:
    """pg_terminate_backend on the lock's session: the leader follows at its next check, and a
    leader is back (it or another) within the timeout."""
    first, second = Replica("a"), Replica("b")
    admin = create_async_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    try:
        await first.start()
        await second.start()
        leader = first if first.leadership.role is Role.LEADER else second
        assert leader.leadership.role is Role.LEADER
        async with admin.connect() as conn:
            killed = await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :key AND granted"
                ),
                {"key": LEADER_LOCK},
            )
            assert killed.scalars().all() == [True]
        await until(lambda: bool(leader.followed), TIMEOUT)
        await until(
            lambda: Role.LEADER in (first.leadership.role, second.leadership.role), TIMEOUT + 1
        )
        assert [first.leadership.role, second.leadership.role].count(Role.LEADER) == 1
    finally:
        await first.stop()
        await second.stop()
        await admin.dispose()


@pytest.mark.postgres
async def test_a_follower_never_hears_lead_while_another_holds_the_lock() -> None:
    """A replica started beside a leader is a follower, and stays one while the leader lives."""
    first, second = Replica("a"), Replica("b")
    try:
        await first.start()
        await second.start()
        await asyncio.sleep(TIMEOUT)
        assert first.leadership.role is Role.LEADER
        assert second.leadership.role is Role.FOLLOWER
        assert second.led == []
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.postgres
async def test_stop_ends_the_watch_even_if_a_check_loses_the_cancel() -> None:
    """A check that swallows its cancellation (as ``asyncio.wait_for`` on 3.11 can when the
    query completes at that moment) cannot keep stop() waiting: the watch ends anyway."""
    replica = Replica("a")
    attempt = replica.leadership._attempt

    async def deaf_attempt() -> None:
        try:
            await attempt()
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            return  # the cancel is lost here, as in the race

    await replica.start()
    replica.leadership._attempt = deaf_attempt  # type: ignore[method-assign]
    try:
        await asyncio.sleep(TIMEOUT / 3 + 0.1)  # the watch is inside a check now
        stopping = asyncio.create_task(replica.stop())
        done, _ = await asyncio.wait({stopping}, timeout=TIMEOUT * 2)
        assert stopping in done, "stop() still waits for a watch that lost its cancel"
    finally:
        replica.leadership._attempt = attempt  # type: ignore[method-assign]

"""A fault hunt of several replicas on one PostgreSQL database: the same click on two replicas at
once, replicas racing through the migrations, a follower that must become the leader, the
leader's lock connection terminated, ``kill -9`` and SIGTERM of the leader while it posts a
report part or polls, and a scheduled stop made on a follower.

Each test runs in a PostgreSQL database of its own (``own_database``). Four of them failed
before their fixes: a part posted twice after a lost lock or a kill mid-post (parts are now
marked before they are posted), a lock lost during start-up work left unnoticed, and SIGTERM
handing the lock over only after the whole drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bot.ids import ActionId, MetadataEvent
from bot.store.engine import make_engine
from bot.store.leadership import LEADER_LOCK, Leadership, Role
from tests.bot.test_runtime_replicas import (
    LEADER_TIMEOUT,
    own_database,
    replica,
    replicas_world,
    role_of,
    until_role,
)
from tests.bot.test_runtime_restart import (
    World,
    assert_each_part_once,
    job_polls,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import slash_command
from tests.support.bot_process import BotProcess, free_port
from tests.support.harness import value_of
from tests.support.slack_text import readable

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
HOLD = 4.0  # how long Slack keeps the answer to a report part it has already taken


class SlowParts(FakeSlack):
    """FakeSlack that takes a report part at once but answers it only ``hold`` seconds later
    (a slow Slack edge): the part is in the thread while its poster still waits."""

    hold = 0.0

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        # No await since the call was recorded: the last one is this request's.
        call = self.calls[-1]
        metadata = call.args.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        part = metadata.get("event_type") == MetadataEvent.RESULT_PART
        if self.hold and call.method == "chat.postMessage" and call.ok and part:
            await asyncio.sleep(self.hold)
        return response


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with replicas_world(tmp_path, stop_seconds=1.0, slack=SlowParts()) as w:
        yield w


def part_counts(world: World) -> Counter[tuple[str, int]]:
    return Counter((rid, part) for rid, part, _ in world.result_parts())


@contextlib.asynccontextmanager
async def admin_of(url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def lock_holder(conn: AsyncConnection) -> tuple[int, Any] | None:
    """(pid, query_start) of the session holding the leader's lock in this database."""
    row = (
        await conn.execute(
            sa.text(
                "SELECT a.pid, a.query_start FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.objid = :key "
                "AND l.granted AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": LEADER_LOCK},
        )
    ).first()
    return None if row is None else (int(row[0]), row[1])


async def terminate_right_after_a_check(conn: AsyncConnection) -> None:
    """``pg_terminate_backend`` of the lock's session just after the leader checked it (its
    ``SELECT 1`` moved ``query_start``): the leader's next check is a whole period away."""
    first = await lock_holder(conn)
    assert first is not None, "nobody holds the leader's lock"
    pid, seen = first
    deadline = time.monotonic() + LEADER_TIMEOUT
    while (now := await lock_holder(conn)) is not None and now == (pid, seen):
        assert time.monotonic() < deadline, "the leader does not check its connection"
        await asyncio.sleep(0.005)
    await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


# -- the leadership alone, in this process ----------------------------------------------------


async def test_a_terminated_lock_session_leaves_two_leaders_for_at_most_one_check() -> None:
    """The leader's lock session terminated right after a check: PostgreSQL frees the lock at
    once, so a follower may lead before the old leader's next check; both lead for no longer
    than one check interval and its timeout (made safe by the compare-and-sets, README)."""
    async with own_database() as url:
        engines = [make_engine(url), make_engine(url)]
        ships = [Leadership(e, LEADER_TIMEOUT) for e in engines]

        async def lead() -> None:
            return None

        try:
            for ship in ships:
                await ship.start(lead, lambda: None)
            assert [s.role for s in ships].count(Role.LEADER) == 1
            both = 0.0
            async with admin_of(url) as admin:
                await terminate_right_after_a_check(admin)
                ended = time.monotonic() + LEADER_TIMEOUT
                while time.monotonic() < ended:
                    if all(s.role is Role.LEADER for s in ships):
                        both += 0.005
                    await asyncio.sleep(0.005)
            assert [s.role for s in ships].count(Role.LEADER) == 1
            bound = LEADER_TIMEOUT / 3 + LEADER_TIMEOUT / 5 + 0.5
            assert both <= bound, f"two leaders at once for about {both:.2f}s"
        finally:
            for ship in ships:
                await ship.stop()
            for engine in engines:
                await engine.dispose()


async def test_a_lock_lost_during_start_up_work_is_noticed_within_the_timeout() -> None:
    """The lock session terminated while the new leader's start-up work (``resume_all``) still
    runs: it steps down within the leader timeout, not only when that work ends."""
    async with own_database() as url:
        engines = [make_engine(url), make_engine(url)]
        first, second = (Leadership(e, LEADER_TIMEOUT) for e in engines)
        followed: list[int] = []

        async def slow_lead() -> None:
            await asyncio.sleep(3 * LEADER_TIMEOUT)  # a long resume_all: stop calls, Slack

        async def lead() -> None:
            return None

        try:
            starting = asyncio.create_task(first.start(slow_lead, lambda: followed.append(1)))
            while first.role is not Role.LEADER:  # noqa: ASYNC110 - a role, not an event
                await asyncio.sleep(0.01)
            await second.start(lead, lambda: None)
            async with admin_of(url) as admin:
                holder = await lock_holder(admin)
                assert holder is not None
                await admin.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": holder[0]}
                )
            await asyncio.sleep(LEADER_TIMEOUT)  # a lost lock is noticed within this
            assert second.role is Role.LEADER
            assert first.role is Role.FOLLOWER, "still leading on a lost lock"
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        finally:
            for ship in (first, second):
                await ship.stop()
            for engine in engines:
                await engine.dispose()


# -- real bot processes ----------------------------------------------------------------------


async def test_the_same_confirm_on_two_replicas_at_once_sends_one_stop(world: World) -> None:
    """One confirm click delivered to the leader and the follower at the same instant: one
    root, one stop call, the report once."""
    servers = world.sim.seed(2)
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(second, f"stop {servers[0].id} {servers[1].id}")
    await asyncio.gather(world.confirm(first, request_id), world.confirm(second, request_id))
    await world.wait_for(world.result_parts, timeout=15)
    await world.wait_idle(first)

    assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
    assert len(world.roots()) == 1, world.logs()
    assert_each_part_once(world.result_parts(), world.logs())


async def test_two_replicas_starting_together_on_an_empty_database(world: World) -> None:
    """Two replicas started at the same instant on an empty database: both migrate-or-wait and
    start, exactly one leads, and a stop goes through once."""
    servers = world.sim.seed(1)
    bots = [
        BotProcess.start({**world.env, "PORT": str(free_port())}, world.tmp_path, name)
        for name in ("first", "second")
    ]
    world.bots.extend(bots)
    await asyncio.gather(*(b.wait_healthy(timeout=20) for b in bots))
    roles = [await role_of(b) for b in bots]
    assert sorted(roles, key=str) == ["follower", "leader"], roles
    async with admin_of(world.env["BMS_DATABASE_URL"]) as conn:
        versions = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).all()
    assert len(versions) == 1
    follower = bots[roles.index("follower")]
    request_id = await world.preview(follower, f"stop {servers[0].id}")
    await world.confirm(follower, request_id)
    await world.wait_for(world.result_parts, timeout=15)
    assert world.sim.stop_calls == [[servers[0].id]], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())


async def test_followers_first_then_the_lock_frees_one_leads_and_reports(world: World) -> None:
    """Replicas started while the leader's lock is held elsewhere all follow; a stop sent then
    waits unpolled; when the lock frees, exactly one replica leads and reports it once."""
    servers = world.sim.seed(2)
    url = world.env["BMS_DATABASE_URL"]
    holder = create_async_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        conn = await holder.connect()
        try:
            await conn.execute(sa.text(f"SELECT pg_advisory_lock({LEADER_LOCK})"))
            first = await replica(world, "first")
            assert await role_of(first) == "follower"
            second = await replica(world, "second")
            assert await role_of(second) == "follower"
            request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
            await world.confirm(first, request_id)
            await world.wait_for(lambda: world.sim.stop_calls)
            await asyncio.sleep(2.5)  # the job has ended by now, but nobody leads
            assert world.result_parts() == [], world.logs()
            assert job_polls(world.sim) == 0, world.logs()
        finally:
            await conn.invalidate()  # the holder's session ends: PostgreSQL frees the lock
            await conn.close()
        started = time.monotonic()
        while [await role_of(first), await role_of(second)].count("leader") != 1:
            assert time.monotonic() - started < LEADER_TIMEOUT, world.logs()
            await asyncio.sleep(0.05)
        await world.wait_for(world.result_parts, timeout=10)
        await asyncio.sleep(1)
        assert [await role_of(first), await role_of(second)].count("leader") == 1
        assert world.sim.stop_calls == [[s.id for s in servers]], world.logs()
        assert_each_part_once(world.result_parts(), world.logs())
    finally:
        await holder.dispose()


async def leader_posting_a_part(world: World) -> tuple[BotProcess, BotProcess, str]:
    """Two replicas; a stop confirmed on the leader, its report part's answer held by Slack:
    (leader, follower, request id) once Slack has taken the part."""
    servers = world.sim.seed(2)
    assert isinstance(world.slack, SlowParts)
    world.slack.hold = HOLD
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(world.result_parts, timeout=15)
    return first, second, request_id


async def test_lock_terminated_while_the_leader_posts_a_part_posts_it_once(
    world: World,
) -> None:
    """The leader's lock session terminated while Slack holds the answer to a report part it
    took: the new leader does not post that part again."""
    _, second, request_id = await leader_posting_a_part(world)  # taken; its answer held
    async with admin_of(world.env["BMS_DATABASE_URL"]) as conn:
        holder = await lock_holder(conn)
        assert holder is not None
        await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": holder[0]})
    await until_role(second, "leader", LEADER_TIMEOUT + 1)
    await asyncio.sleep(HOLD + 2)
    assert part_counts(world)[(request_id, 1)] == 1, world.logs()


async def test_kill_9_while_the_leader_posts_a_part_posts_it_once(world: World) -> None:
    """``kill -9`` of the leader after Slack took a report part but before its answer came: the
    new leader finds it (as for a lost answer) instead of posting it again."""
    first, second, request_id = await leader_posting_a_part(world)
    first.kill()
    await until_role(second, "leader", LEADER_TIMEOUT + 1)
    await asyncio.sleep(HOLD + 2)
    assert part_counts(world)[(request_id, 1)] == 1, world.logs()


async def test_sigterm_of_the_leader_mid_poll_hands_over_at_once(world: World) -> None:
    """SIGTERM of the leader while a job poll waits on Huawei: the follower leads within the
    leader timeout (a clean shutdown hands over at once, no slower than a kill)."""
    servers = world.sim.seed(2)
    world.sim.stop_seconds = 30.0
    first = await replica(world, "first")
    second = await replica(world, "second")
    request_id = await world.preview(first, f"stop {servers[0].id} {servers[1].id}")
    await world.confirm(first, request_id)
    await world.wait_for(lambda: job_polls(world.sim) >= 1)
    world.sim.faults.add("job", delay=8)
    polls = job_polls(world.sim)
    await world.wait_for(lambda: job_polls(world.sim) > polls)  # the held poll is under way
    first.process.terminate()
    took = await until_role(second, "leader", 20)
    assert took <= LEADER_TIMEOUT, f"handed over {took:.1f}s after SIGTERM\n{world.logs()}"


SCHEDULED = "Scheduled stop of 2 servers"


async def test_a_schedule_made_on_a_follower_is_announced_reminded_and_run_once(
    world: World,
) -> None:
    """``/bms stop … in 8s`` confirmed on the follower (reminder 4s before): one announcement,
    one reminder, one stop call by the leader at its time, the report once."""
    world.env["BMS_REMINDERS"] = "4s"
    servers = world.sim.seed(2)
    ids = [s.id for s in servers]
    first = await replica(world, "first")
    second = await replica(world, "second")
    url = world.slack.new_response_url("commands")
    await world.post(second, *slash_command(f"stop {' '.join(ids)} in 8s", response_url=url))
    await world.wait_for(
        lambda: any(
            r.url == url and value_of(r.blocks or [], ActionId.CONFIRM)
            for r in world.slack.responses
        )
    )
    preview = next(r for r in world.slack.responses if r.url == url and r.blocks)
    request_id = value_of(preview.blocks, ActionId.CONFIRM)
    assert request_id
    confirmed = time.time()
    await world.confirm(second, request_id)
    await world.wait_for(
        lambda: any(SCHEDULED in readable(m.text, m.blocks) for m in world.roots())
    )
    assert world.sim.stop_calls == []
    await world.wait_for(lambda: world.sim.stop_calls, timeout=15)
    assert time.time() - confirmed >= 7.5, "stopped before its time"
    await world.wait_for(world.result_parts, timeout=10)
    await world.wait_idle(first)
    [root] = world.roots()
    reminders = [
        c
        for c in world.slack.calls_to("chat.postMessage")
        if c.ok and (c.args.get("metadata") or {}).get("event_type") == MetadataEvent.REMINDER
    ]
    assert len(reminders) == 1, world.logs()
    assert {c.args.get("thread_ts") for c in reminders} == {root.ts}
    assert world.sim.stop_calls == [ids], world.logs()
    assert_each_part_once(world.result_parts(), world.logs())
    assert "scheduled stop starting" in first.logs()
    assert "scheduled stop starting" not in second.logs()

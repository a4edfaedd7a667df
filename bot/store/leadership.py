"""Which replica runs the scheduled work (polls, alarms, housekeeping): the leader.

On PostgreSQL the leader is the replica holding a session-level advisory lock on a connection of
its own. PostgreSQL drops the lock the moment that session ends (a ``kill -9`` closes the socket;
``pg_terminate_backend`` ends the session; a silent network is found by TCP keepalives set on
the session, within half of ``BMS_LEADER_TIMEOUT`` plus three probes). The leader checks its
connection every third of the timeout, each check bounded by a fifth of it, and steps down the
moment one fails. A follower asks for the lock every third of the timeout, so a new leader takes
over within the timeout.

Two replicas can work at once for a moment: when the leader's session is ended from the server's
side (``pg_terminate_backend``, a restart), the lock is free before the old leader's next check,
up to a third of the timeout later, and a poll already running finishes. Nothing depends on
there being one leader at every instant: every step it runs is a compare-and-set on the rows
(each stop call claimed, each report part and reminder marked before it is posted).

SQLite serves one process (``SoleUse``), which is always the leader, in the role "single".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.store import locks

log = logging.getLogger(__name__)
LEADER_LOCK = locks.LEADER
Lead = Callable[[], Coroutine[Any, Any, None]]  # the leader's start-up work (resume, rebuild)
Follow = Callable[[], None]  # stop the leader's work at once (synchronous: no await between)


class Role(StrEnum):
    SINGLE = "single"  # the only process (SQLite)
    LEADER = "leader"
    FOLLOWER = "follower"

    @property
    def leads(self) -> bool:
        return self is not Role.FOLLOWER


class Leadership:
    """Holds or seeks the leader's lock. Becoming leader runs ``lead`` in its own task
    (cancelled if the role is lost before it ends); stepping down calls ``follow`` at once."""

    def __init__(self, engine: AsyncEngine, timeout: float) -> None:
        self._shared = engine.dialect.name == "postgresql"
        self._url = engine.url
        self.timeout = timeout
        self.role = Role.FOLLOWER if self._shared else Role.SINGLE
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._lead: Lead | None = None
        self._follow: Follow | None = None
        self._loop: asyncio.Task[None] | None = None
        self._changing: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self, lead: Lead, follow: Follow) -> None:
        """Take the role for the first time (the leader's start-up work is awaited here, as
        for a bot that runs alone), then keep watching it."""
        self._lead, self._follow = lead, follow
        if not self._shared:
            await lead()
            return
        self._engine = create_async_engine(self._url, poolclass=NullPool, connect_args=self._tcp())
        await self._attempt()
        # Watching starts before the start-up work is awaited: a lock lost during it is noticed.
        self._loop = asyncio.create_task(self._watch(), name="leadership")
        if self._changing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._changing)

    def _tcp(self) -> dict[str, int]:
        """libpq's side of the lock connection: give up on a silent server in time."""
        return {
            "connect_timeout": max(2, int(self.timeout / 3)),
            "keepalives": 1,
            "keepalives_idle": max(1, int(self.timeout / 3)),
            "keepalives_interval": max(1, int(self.timeout / 10)),
            "keepalives_count": 3,
            "tcp_user_timeout": int(self.timeout * 1000 / 2),
        }

    async def _watch(self) -> None:
        # The flag as well as the cancel: a cancel that lands as a check completes can be lost
        # (asyncio.wait_for on Python 3.11 did lose them), and stop() would wait here forever.
        while not self._stopping:
            await asyncio.sleep(self.timeout / 3)
            await self._attempt()

    async def _attempt(self) -> None:
        """One look: a leader checks its connection, a follower asks for the lock."""
        try:
            if self._conn is not None:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the query completes.
                async with asyncio.timeout(self.timeout / 5):
                    await self._conn.execute(sa.text("SELECT 1"))
            else:
                await self._seek()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._lost(f"{type(exc).__name__}: {exc}".splitlines()[0])

    async def _seek(self) -> None:
        assert self._engine is not None
        async with asyncio.timeout(self.timeout / 3):
            conn = await self._engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            idle, interval = max(1, int(self.timeout / 2)), max(1, int(self.timeout / 10))
            await conn.execute(sa.text(f"SET tcp_keepalives_idle = {idle}"))
            await conn.execute(sa.text(f"SET tcp_keepalives_interval = {interval}"))
            await conn.execute(sa.text("SET tcp_keepalives_count = 3"))
            got = (
                await conn.execute(sa.text(f"SELECT pg_try_advisory_lock({LEADER_LOCK})"))
            ).scalar()
        except BaseException:
            await _drop(conn)
            raise
        if not got:
            await _drop(conn)
            return
        self._conn = conn
        log.warning("this replica is now the leader")
        self._become(Role.LEADER)

    async def _lost(self, reason: str) -> None:
        if self._conn is None:
            log.debug("could not ask for the leader's lock", extra={"reason": reason})
            return
        conn, self._conn = self._conn, None
        log.error("lost the leader's lock; stepping down", extra={"reason": reason})
        self._become(Role.FOLLOWER)
        await _drop(conn)

    def _become(self, role: Role) -> None:
        self.role = role
        if self._changing is not None and not self._changing.done():
            self._changing.cancel()
        assert self._lead is not None
        assert self._follow is not None
        if role is Role.FOLLOWER:
            self._follow()
        else:
            self._changing = asyncio.create_task(self._lead(), name="leading")

    async def stop(self) -> None:
        """Stop watching and give the lock up (a clean shutdown hands over at once)."""
        self._stopping = True
        for task in (self._loop, self._changing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.execute(sa.text(f"SELECT pg_advisory_unlock({LEADER_LOCK})"))
            await _drop(conn)
        if self._engine is not None:
            await self._engine.dispose()


async def _drop(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()

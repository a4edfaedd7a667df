"""The database, which is the truth: requests, their chunks, seen events and the audit trail (see
ARCHITECTURE.md).

``Store`` is the one door: ``store.requests``, ``store.chunks``, ``store.schedules`` (scheduled
stops and their reminders), ``store.events`` and ``store.audit`` speak in typed, intent-named
methods, and ``store.load`` reads a request with its chunks in one go.
Nothing outside this package imports SQLAlchemy.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.audit import AuditLog
from bot.store.chunks import ChunkStore
from bot.store.database import Database, DatabaseFile, DatabaseUnavailable, SoleUse
from bot.store.engine import open_engine
from bot.store.events import EventLog
from bot.store.requests import RequestStore, chunks_of, get_request
from bot.store.rows import ChunkRow, NewRequest, RequestRow, StopRecord
from bot.store.schedules import ScheduleStore
from bot.store.schema import bot_health

H = bot_health.c

__all__ = [
    "AuditLog",
    "ChunkRow",
    "DatabaseUnavailable",
    "NewRequest",
    "RequestRow",
    "StopRecord",
    "Store",
    "migrate_database",
    "open_store",
]


class Store:
    """Safe to share between replicas on PostgreSQL: every change is a compare-and-set."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.db = Database(engine)
        self.requests = RequestStore(self.db)
        self.chunks = ChunkStore(self.db)
        self.schedules = ScheduleStore(self.db)
        self.events = EventLog(self.db)
        self.audit = AuditLog(self.db)
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._file = DatabaseFile(path)
        self._sole = SoleUse(path)

    @property
    def shared(self) -> bool:
        """Several replicas may use this database at once (PostgreSQL), so another process's
        claim may be live; a SQLite file has one serving process."""
        return self.engine.dialect.name != "sqlite"

    def hold_alone(self) -> None:
        """For a SQLite file: this process serves it alone (``DatabaseUnavailable`` naming the
        other process if one does). The commands beside a running bot never call this."""
        self._sole.acquire()

    async def load(self, request_id: str) -> StopRecord | None:
        """A request and its chunks, read in one transaction (a consistent picture)."""
        async with self.db.begin() as conn:
            request = await get_request(conn, request_id)
            if request is None:
                return None
            return StopRecord(request, await chunks_of(conn, request))

    async def ping(self, now: float) -> None:
        """Raises ``DatabaseUnavailable`` unless the database takes a write (the one-row
        ``bot_health`` table) and, for SQLite, its file is still the one the bot opened."""
        self._file.check()
        async with self.db.begin() as conn:
            stmt = bot_health.update().where(H.id == 1).values({H.checked_at: now})
            await conn.execute(stmt)

    async def close(self) -> None:
        await self.engine.dispose()
        self._sole.release()


async def open_store(url: str) -> Store:
    """The store on ``url``, migrated to this code's schema, or ``DatabaseUnavailable``."""
    engine, _ = await open_engine(url)
    return Store(engine)


async def migrate_database(url: str) -> tuple[str | None, str | None]:
    """Migrate the database on ``url`` to this code's schema: (revision before, after)."""
    engine, revisions = await open_engine(url)
    await engine.dispose()
    return revisions

"""The database, which is the truth: requests, their chunks and seen events (see ARCHITECTURE.md).

``Store`` is the one door: ``store.requests``, ``store.chunks`` and ``store.events`` speak in
typed, intent-named methods, and ``store.load`` reads a request with its chunks in one go.
Nothing outside this package imports SQLAlchemy.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.chunks import ChunkStore
from bot.store.database import Database, DatabaseUnavailable
from bot.store.engine import open_engine
from bot.store.events import EventLog
from bot.store.requests import RequestStore, chunks_of, get_request
from bot.store.rows import ChunkRow, NewRequest, RequestRow, StopRecord
from bot.store.schema import stop_requests

__all__ = [
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
        self.events = EventLog(self.db)

    async def load(self, request_id: str) -> StopRecord | None:
        """A request and its chunks, read in one transaction (a consistent picture)."""
        async with self.db.begin() as conn:
            request = await get_request(conn, request_id)
            if request is None:
                return None
            return StopRecord(request, await chunks_of(conn, request))

    async def ping(self) -> None:
        """Raises unless the database answers and holds the bot's tables (for ``/healthz``)."""
        async with self.db.connect() as conn:
            await conn.execute(sa.select(sa.literal(1)).select_from(stop_requests).limit(1))

    async def close(self) -> None:
        await self.engine.dispose()


async def open_store(url: str) -> Store:
    """The store on ``url``, migrated to this code's schema, or ``DatabaseUnavailable``."""
    engine, _ = await open_engine(url)
    return Store(engine)


async def migrate_database(url: str) -> tuple[str | None, str | None]:
    """Migrate the database on ``url`` to this code's schema: (revision before, after)."""
    engine, revisions = await open_engine(url)
    await engine.dispose()
    return revisions

"""Opening the database: SQLite (WAL, busy timeout) by default, PostgreSQL for several replicas."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.database import DatabaseUnavailable
from bot.store.migrate import MigrationError, upgrade

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; busy_timeout makes a contended write wait, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


async def open_engine(url: str) -> tuple[AsyncEngine, tuple[str | None, str | None]]:
    """An engine on ``url`` with its schema migrated to this code's, and the revisions (before,
    after); or ``DatabaseUnavailable``, saying why."""
    engine = make_engine(url)
    try:
        revisions = await upgrade(engine)
    except MigrationError as exc:  # e.g. the database is at a revision this code does not know
        await engine.dispose()
        raise DatabaseUnavailable(f"cannot migrate the database: {exc}") from exc
    except (OSError, SQLAlchemyError) as exc:
        await engine.dispose()
        scheme = url.split("://", maxsplit=1)[0]
        detail = str(exc.args[0]) if exc.args else type(exc).__name__
        raise DatabaseUnavailable(f"cannot open the database ({scheme}): {detail}") from exc
    return engine, revisions

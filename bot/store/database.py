"""The one door to the database: transactions and connections that turn an outage into
``DatabaseUnavailable``, logged once when it starts and once when it ends.

An outage is anything that says the database itself cannot be used right now: it cannot be
reached, a connection broke, the disk is full or read-only, the pool is exhausted. Errors about
the data (an integrity error, a bug in a query) pass through unchanged.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import IO

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The database cannot be used; the message says why, without the URL's password."""


# SQLite says "operational error" for a missing table too: only these primary result codes are
# the database being unusable (busy, locked, out of memory, read-only, I/O, corrupt, full,
# cannot open, protocol).
_SQLITE_OUTAGES = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 15})


def _is_outage(exc: BaseException) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_OUTAGES
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _reason(exc: BaseException) -> str:
    detail = getattr(exc, "orig", None) or exc
    return f"{type(detail).__name__}: {str(detail).splitlines()[0] if str(detail) else ''}"


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._down_since: str | None = None  # the reason, while an outage lasts

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A transaction, committed when the block ends: one that commits ends an outage."""
        return self._guarded(self.engine.begin(), proves=True)

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reads. A read that works does not end an outage (a read-only or
        full disk still answers reads), so the leader's frequent sweeps cannot flap it."""
        return self._guarded(self.engine.connect(), proves=False)

    @asynccontextmanager
    async def _guarded(
        self, opening: AbstractAsyncContextManager[AsyncConnection], *, proves: bool
    ) -> AsyncIterator[AsyncConnection]:
        try:
            async with opening as conn:
                yield conn
        except Exception as exc:
            self._failed(exc)
            raise
        if proves:
            self._worked()

    def _failed(self, exc: Exception) -> None:
        if not _is_outage(exc):
            return
        reason = _reason(exc)
        if self._down_since is None:
            log.error("the bot's database is unavailable", extra={"reason": reason})
        self._down_since = reason
        raise DatabaseUnavailable(f"the bot's database is unavailable ({reason})") from exc

    def _worked(self) -> None:
        if self._down_since is not None:
            log.warning("the bot's database is available again")
            self._down_since = None


class DatabaseFile:
    """The SQLite file the bot opened: deleted or replaced under a running bot, its connections
    still work on the old inode while everything written is lost at the next start."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path and path != ":memory:" else None
        self._inode: int | None = None

    def check(self) -> None:
        """Raises ``DatabaseUnavailable`` if the file is gone or another file took its place."""
        if self._path is None:
            return
        try:
            inode = self._path.stat().st_ino
        except FileNotFoundError:
            raise DatabaseUnavailable(f"the database file {self._path} is gone") from None
        if self._inode is None:
            self._inode = inode
        elif inode != self._inode:
            raise DatabaseUnavailable(f"the database file {self._path} was replaced")


class SoleUse:
    """One serving process per SQLite file: an exclusive ``flock`` on ``<file>.lock`` while the
    bot runs (the kernel drops it when the process ends, ``kill -9`` included). A second
    ``bms-bot`` on the same file is refused at start instead of polling and posting beside the
    first. PostgreSQL needs none of this."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(f"{path}.lock") if path and path != ":memory:" else None
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or ``DatabaseUnavailable`` naming the process that holds it."""
        if self._path is None or self._file is not None:
            return
        handle = self._path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise DatabaseUnavailable(
                f"another bms-bot process (pid {holder}) is using {self._path.with_suffix('')}: "
                "SQLite serves one process. Stop the other one, or use PostgreSQL "
                "(BMS_DATABASE_URL=postgresql://…) to run several replicas"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the lock
            self._file = None

"""Bringing a database to the schema this code expects: Alembic's ``upgrade head``, at every start
and by ``bms-bot migrate``.

A database made before migrations existed (tables from ``create_all``, no ``alembic_version``) is
adopted in place: stamped with the baseline, then upgraded like any other. On PostgreSQL the
upgrade holds an advisory lock, so replicas starting together apply each migration once.

Alembic is imported only when there is something to do: a database already at ``HEAD`` (every
start but the first after an upgrade) costs one SELECT, not Alembic's 11 MiB and 0.1 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import locks

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
HEAD = "0010"  # the newest file in migrations/versions/ (a test holds the two together)
PG_MIGRATION_LOCK = locks.MIGRATION


class MigrationError(Exception):
    """The schema cannot be brought to this code's (e.g. the database is newer than the code)."""


def current(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty or pre-migration database."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def head() -> str:
    """The newest revision among the migration scripts (read by Alembic itself)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only when asked

    revision = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert revision is not None  # there is always a baseline
    return revision


def _config(connection: Connection | None) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - Alembic only when there is work

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command  # noqa: PLC0415 - Alembic only when there is work
    from alembic.util.exc import CommandError  # noqa: PLC0415

    config = _config(connection)
    tables = set(sa.inspect(connection).get_table_names())
    try:
        if "alembic_version" not in tables and "stop_requests" in tables:
            command.stamp(config, BASELINE)  # made by create_all before migrations: adopt it
        command.upgrade(config, "head")
    except CommandError as exc:
        raise MigrationError(str(exc)) from exc


async def upgrade(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """Upgrade to head; (revision before, revision after)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))
        before = await conn.run_sync(current)
        if before == HEAD:
            return before, before
        await conn.run_sync(_upgrade)
        return before, await conn.run_sync(current)

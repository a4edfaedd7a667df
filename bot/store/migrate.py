"""Bringing a database to the schema this code expects: Alembic's ``upgrade head``, at every start
and by ``bms-bot migrate``.

A database made before migrations existed (tables from ``create_all``, no ``alembic_version``) is
adopted in place: stamped with the baseline, then upgraded like any other. On PostgreSQL the
upgrade holds an advisory lock, so replicas starting together apply each migration once.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
PG_MIGRATION_LOCK = 7317001


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(_config_without_connection()).get_current_head()
    assert revision is not None  # there is always a baseline
    return revision


def _config_without_connection() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty or pre-migration database."""
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> None:
    config = _config(connection)
    tables = set(sa.inspect(connection).get_table_names())
    if "alembic_version" not in tables and "stop_requests" in tables:
        command.stamp(config, BASELINE)  # made by create_all before migrations: adopt it
    command.upgrade(config, "head")


async def upgrade(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """Upgrade to head; (revision before, revision after)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))
        before = await conn.run_sync(current)
        await conn.run_sync(_upgrade)
        return before, await conn.run_sync(current)

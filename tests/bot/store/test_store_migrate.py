"""Migrations: a fresh database, one made before migrations existed (with rows), and a rerun."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from schema_before_migrations import metadata as old_metadata
from store_factories import IDS, NOW, new_request

from bot.core.lifecycle import RequestState
from bot.store import Store
from bot.store.engine import make_engine
from bot.store.migrate import HEAD, current, head, upgrade
from bot.store.schema import metadata
from tests.conftest import postgres_url


@pytest.fixture
async def bare(db_kind: str, tmp_path: os.PathLike[str]):
    """An empty database: no tables, no alembic_version."""
    if db_kind == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/bare.db")
    else:
        engine = make_engine(postgres_url())
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    yield engine
    await engine.dispose()


async def tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def test_a_fresh_database_gets_every_table(bare) -> None:
    """An empty database is migrated to head with every table the code uses."""
    assert await upgrade(bare) == (None, head())
    assert set(metadata.tables) <= await tables(bare)


async def test_upgrading_twice_changes_nothing(bare) -> None:
    """A second start finds the database at head and leaves it as it is."""
    await upgrade(bare)
    assert await upgrade(bare) == (head(), head())


async def test_a_database_made_before_migrations_is_adopted_with_its_rows(bare) -> None:
    """Tables made by create_all (no alembic_version) are stamped and upgraded in place, and the
    requests in them still work: they can be confirmed and read back."""
    async with bare.begin() as conn:
        await conn.run_sync(old_metadata.create_all)
        await conn.execute(old_metadata.tables["stop_requests"].insert().values(_old_row()))
    store = Store(bare)
    before, after = await upgrade(bare)
    assert (before, after) == (None, head())
    async with bare.connect() as conn:
        assert await conn.run_sync(current) == head()
    record = await store.requests.confirm("req_1", "U1", NOW + 1, [IDS])
    assert record is not None
    assert record.request.state is RequestState.CONFIRMED
    assert [t.id for t in record.request.targets] == IDS
    await store.ping(NOW)


def _old_row() -> dict[str, object]:
    """A previewed request as the code before migrations wrote it (its columns only)."""
    p = new_request().preview
    return {
        "id": p.request_id,
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": p.user_id,
        "origin": "command",
        "soft": False,
        "reason": p.reason,
        "targets": [[t.id, t.name, t.status] for t in p.targets],
        "skipped": [],
        "state": "previewed",
        "created_at": NOW,
        "expires_at": p.expires_at.timestamp(),
        "updated_at": NOW,
        "progress_done": 0,
        "report_parts_posted": 0,
    }


def test_head_names_the_newest_migration() -> None:
    """The revision the code checks at start is the newest migration script's."""
    assert head() == HEAD


def test_every_state_fits_its_column() -> None:
    """Each request and chunk state fits the column that stores it (PostgreSQL enforces it)."""
    from bot.core.lifecycle import ChunkState

    requests_state = metadata.tables["stop_requests"].c.state.type
    chunks_state = metadata.tables["stop_chunks"].c.state.type
    assert max(len(s.value) for s in RequestState) <= requests_state.length
    assert max(len(s.value) for s in ChunkState) <= chunks_state.length

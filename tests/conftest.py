"""Shared fixtures: a real database: SQLite, and PostgreSQL when BMS_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import normalise_database_url
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.store.schema import metadata

PG_ENV = "BMS_TEST_POSTGRES_URL"


def postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    return normalise_database_url(url)


async def fresh_engine(kind: str, tmp_path: os.PathLike[str]) -> AsyncEngine:
    if kind == "sqlite":
        return make_engine(f"sqlite+aiosqlite:///{tmp_path}/bms-bot-test.db")
    engine = make_engine(postgres_url())
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def engine(db_kind: str, tmp_path: os.PathLike[str]) -> AsyncIterator[AsyncEngine]:
    eng = await fresh_engine(db_kind, tmp_path)
    await upgrade(eng)
    yield eng
    await eng.dispose()

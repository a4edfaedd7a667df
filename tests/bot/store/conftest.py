"""A store on a fresh database (SQLite, and PostgreSQL when configured) for every test."""

from __future__ import annotations

import pytest

from bot.store import Store


@pytest.fixture
async def store(engine) -> Store:
    return Store(engine)

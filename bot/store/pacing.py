"""Turns for paced calls, shared by every replica through the database: each stop call takes the
next free turn in one atomic statement, at most one every ``60 / per_minute`` seconds for the
whole bot, so Huawei's per-minute limit is never crossed however many replicas send.

A turn is taken before the chunk is claimed; a caller whose claim then fails wastes its turn (a
second sender of the same chunk, which is rare and only slows the queue by one turn).
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.rates import spacing
from bot.store.database import Database
from bot.store.schema import rate_turns

T = rate_turns.c


class Turns:
    def __init__(self, db: Database, name: str, per_minute: float) -> None:
        self._db = db
        self._name = name
        self.spacing = spacing(per_minute)

    async def take(self, now: float) -> float:
        """The epoch second this call may go out (``now`` if the queue is empty)."""
        start = sa.case((T.next_at > now, T.next_at), else_=now)
        stmt = (
            rate_turns.update()
            .where(T.name == self._name)
            .values({T.next_at: start + self.spacing})
            .returning(T.next_at)
        )
        async with self._db.begin() as conn:
            next_at = (await conn.execute(stmt)).scalar()
            if next_at is None:  # a database migrated without the row: make it
                await conn.execute(rate_turns.insert().values(name=self._name, next_at=now))
                next_at = (await conn.execute(stmt)).scalar_one()
        return float(next_at) - self.spacing

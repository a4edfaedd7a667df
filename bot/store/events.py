"""Event ids already handled, so a retried Events API delivery is recognised and dropped."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.store.database import Database
from bot.store.schema import seen_events

E = seen_events.c


class EventLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def first_sighting(self, event_id: str, now: float) -> bool:
        """Record an event id; False if it was seen before (a retried delivery), even when the
        two deliveries overlap: the primary key decides."""
        try:
            async with self._db.begin() as conn:
                await conn.execute(
                    seen_events.insert().values({E.event_id: event_id, E.seen_at: now})
                )
        except IntegrityError:
            return False
        return True

    async def forget(self, before: float) -> None:
        async with self._db.begin() as conn:
            await conn.execute(sa.delete(seen_events).where(E.seen_at < before))

"""Seen events: a retried delivery is recognised, even when it overlaps the first."""

from __future__ import annotations

import asyncio

from store_factories import NOW

from bot.store import Store


async def test_event_seen_once(store: Store) -> None:
    """An event id is new the first time and a duplicate after, even concurrently."""
    seen = await asyncio.gather(*(store.events.first_sighting("Ev1", NOW) for _ in range(5)))
    assert seen.count(True) == 1
    await store.events.forget(NOW + 1)
    assert await store.events.first_sighting("Ev1", NOW + 2)

"""The pace: calls go out at most one per 60/limit seconds, in the order they asked, queued
rather than refused, so no 60-second window holds more than the limit."""

from __future__ import annotations

import asyncio

from bot.bms.pace import Pace
from bot.rates import MARGIN


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_calls_are_spaced_by_the_limit() -> None:
    """At 60 a minute, five calls asked together go out about a second apart."""
    clock = Clock()
    pace = Pace(60, clock=clock, sleep=clock.sleep)
    waits = [await pace.turn() for _ in range(5)]
    assert waits[0] == 0
    assert all(abs(w - MARGIN) < 1e-9 for w in waits[1:])


async def test_no_window_of_a_minute_holds_more_than_the_limit() -> None:
    """A burst of 300 calls at a limit of 100 a minute: any 60 s window holds at most 100."""
    clock = Clock()
    pace = Pace(100, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(300):
        await pace.turn()
        sent.append(clock.now)
    for i, start in enumerate(sent):
        inside = [t for t in sent[i:] if t < start + 60]
        assert len(inside) <= 100


async def test_a_quiet_pace_lets_a_call_go_at_once() -> None:
    """After a pause longer than the spacing, the next call does not wait."""
    clock = Clock()
    pace = Pace(60, clock=clock, sleep=clock.sleep)
    await pace.turn()
    clock.now += 5
    assert await pace.turn() == 0
    assert pace.ahead() > 0


async def test_concurrent_callers_queue_in_order() -> None:
    """Callers waiting together are served in the order they asked, none at the same moment."""
    pace = Pace(60 * 50)  # 50 a second, real clock
    order: list[int] = []

    async def call(n: int) -> None:
        await pace.turn()
        order.append(n)

    await asyncio.gather(*(call(n) for n in range(10)))
    assert order == list(range(10))

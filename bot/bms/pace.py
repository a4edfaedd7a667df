"""Spacing calls to stay within a per-minute limit: each call takes the next free turn, at most
one every ``60 / per_minute`` seconds, so no sliding 60-second window ever holds more than the
limit. A call whose turn is later waits for it (queued, never refused).

Only the leader polls jobs (``bot/store/leadership.py``), so this process's pace of job queries is
the whole bot's, however many replicas run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.rates import spacing


class Pace:
    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.spacing = spacing(per_minute)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # when the next turn is free

    def ahead(self) -> float:
        """Seconds until a call taking its turn now would go out."""
        return max(0.0, self._next - self._clock())

    async def turn(self) -> float:
        """Wait for this call's turn; how long it waited."""
        now = self._clock()
        at = max(self._next, now)
        self._next = at + self.spacing  # taken before the wait: callers queue in order
        wait = at - now
        if wait > 0:
            await self._sleep(wait)
        return wait

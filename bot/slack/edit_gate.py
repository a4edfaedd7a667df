"""Keeps root-message edits within ``chat.update``'s Tier 3 (about 50 a minute per workspace).

Progress edits that find the minute full are skipped; a final edit (the state people read
afterwards) is never skipped but waits for a free slot in the minute, so thirty requests ending
together do not meet a 429. A throttle, not state: losing it on restart costs at most one early
edit, so it lives in memory.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable

TIER3_PER_MINUTE = 45  # a margin under Slack's ~50


class ProgressGate:
    def __init__(
        self,
        min_interval: float,
        per_minute: int = TIER3_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.min_interval = min_interval
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._recent: list[float] = []  # when each edit of the last minute went (or will go) out
        self._held_until = 0.0

    def allow(self, key: str, *, force: bool = False) -> bool:
        """True (and counted) if an edit for ``key`` may go out now; ``force`` always goes out
        now but still counts against the minute's budget (``wait_final`` waits for room)."""
        now = self._clock()
        self._prune(now)
        if not force and (len(self._recent) >= self.per_minute or now < self._held_until):
            return False
        last = self._last.get(key)
        if not force and last is not None and now - last < self.min_interval:
            return False
        self._last[key] = now
        bisect.insort(self._recent, now)
        return True

    def final_turn(self, key: str) -> float:
        """Take the first slot a final edit of ``key`` may use: now while the minute has room
        and no 429 holds edits back, else when both allow. Seconds until then."""
        now = self._clock()
        self._prune(now)
        at = max(now, self._held_until)
        if len(self._recent) >= self.per_minute:
            at = max(at, self._recent[len(self._recent) - self.per_minute] + 60)
        self._last[key] = at
        bisect.insort(self._recent, at)
        return at - now

    async def wait_final(self, key: str) -> None:
        """Wait for the slot of a final edit of ``key``."""
        delay = self.final_turn(key)
        if delay > 0:
            await self._sleep(delay)

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self._recent, now - 60)
        del self._recent[:cut]

    def hold(self, seconds: float) -> None:
        """Slack said 429: no edit that can wait goes out for ``seconds``."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    def forget(self, key: str) -> None:
        self._last.pop(key, None)

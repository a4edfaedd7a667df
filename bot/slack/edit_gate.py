"""Keeps root-message edits within ``chat.update``'s Tier 3 (about 50 a minute per workspace).

A throttle, not state: losing it on restart costs at most one early edit, so it lives in memory.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

TIER3_PER_MINUTE = 45  # a margin under Slack's ~50


class ProgressGate:
    def __init__(
        self,
        min_interval: float,
        per_minute: int = TIER3_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.per_minute = per_minute
        self._clock = clock
        self._last: dict[str, float] = {}
        self._recent: deque[float] = deque()
        self._held_until = 0.0

    def allow(self, key: str, *, force: bool = False) -> bool:
        """True (and counted) if an edit for ``key`` may go out now; ``force`` (a final state
        that must be shown) always goes out but still counts against the minute's budget."""
        now = self._clock()
        while self._recent and now - self._recent[0] >= 60:
            self._recent.popleft()
        if not force and (len(self._recent) >= self.per_minute or now < self._held_until):
            return False
        last = self._last.get(key)
        if not force and last is not None and now - last < self.min_interval:
            return False
        self._last[key] = now
        self._recent.append(now)
        return True

    def hold(self, seconds: float) -> None:
        """Slack said 429: no edit that can wait goes out for ``seconds``."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    def forget(self, key: str) -> None:
        self._last.pop(key, None)

"""``chat.postMessage`` at Slack's pace: about one message a second per channel, bursts allowed.

A bucket of ``burst`` posts per channel, refilled at one every ``interval`` seconds; a post waits
for its turn instead of meeting a 429. Shared by every request of the process, so two reports in
one channel share the channel's pace. Memory, not state: a restart starts with full buckets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.rates import spacing

# A little under one a second (``bot.rates``): at exactly Slack's rate only the burst is left to
# absorb a post that a busy loop sent late next to one on time.
POST_INTERVAL_SECONDS = spacing(60)
POST_BURST = 3  # Slack allows bursts of an unstated size: stay well inside it
_MAX_CHANNELS = 1_000


class ChannelPacer:
    def __init__(
        self,
        interval: float = POST_INTERVAL_SECONDS,
        burst: int = POST_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval, self.burst = interval, burst
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[str, tuple[float, float]] = {}

    def reserve(self, channel: str) -> float:
        """Take the next turn in ``channel``; how many seconds to wait for it."""
        if self.interval <= 0:
            return 0.0
        now = self._clock()
        tokens, at = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.interval) - 1
        self._buckets[channel] = (tokens, now)
        if len(self._buckets) > _MAX_CHANNELS:
            self._forget_idle(now)
        return max(0.0, -tokens * self.interval)

    async def wait(self, channel: str) -> None:
        """Wait for this post's turn in ``channel``."""
        delay = self.reserve(channel)
        if delay > 0:
            await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        full = [c for c, (tokens, at) in self._buckets.items()
                if tokens + (now - at) / self.interval >= self.burst]  # fmt: skip
        for channel in full:
            del self._buckets[channel]

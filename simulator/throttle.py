"""Per-minute request limits, as the API gateway enforces them (doc §5), on the simulator's clock.

A sliding 60-second window per API: a request is refused when the window already holds ``limit``
accepted requests; refused requests do not count. The scope (account or project) is unconfirmed;
one simulator is one project, so the two agree here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

WINDOW_SECONDS = 60.0
DEFAULT_LIMITS: Mapping[str, int] = {
    "stop": 50,
    "start": 50,
    "reboot": 50,
    "list": 500,
    "server": 1000,
    "job": 2000,  # an older edition's figure; the current one is unconfirmed
}
THROTTLED_MESSAGE = "The throttling threshold has been reached: policy user over ratelimit"


class Throttle:
    """Counts accepted requests per API key ("stop", "list", ...) in a sliding window."""

    def __init__(self, clock: Callable[[], float], limits: Mapping[str, int] | None = None) -> None:
        unknown = set(limits or {}) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"unknown throttle keys: {sorted(unknown)}")
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Record a request under ``key`` and say whether it is within the limit."""
        limit = self.limits.get(key)
        if limit is None:
            return True
        now = self._clock()
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - WINDOW_SECONDS:
            seen.popleft()
        if len(seen) >= limit:
            return False
        seen.append(now)
        return True

"""A clock the tests move by hand, for every rule and limiter that reads the time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ManualClock:
    """Reads ``now`` when called; moves only when a test sets ``now`` or calls ``advance``."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

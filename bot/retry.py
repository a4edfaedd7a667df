"""Bounded, jittered retries for async calls, in the spirit of ``stamina``.

A retry loop is bounded twice: by a number of attempts and by a total time budget, whichever ends
first. The caller's classifier decides, per error, whether to try again:

- ``False``: do not retry; the error propagates at once, unchanged;
- ``None``: retry after the policy's exponential, jittered backoff;
- a float: retry after that many seconds (the server's ``Retry-After``), never past the time budget.

When the bounds are spent, the last error propagates unchanged. Only ``Exception`` is caught, so
cancellation always goes straight through. ``RetryPolicy.no_wait()`` turns sleeping off for tests.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

T = TypeVar("T")

#: What a classifier answers: ``False`` (give up), ``None`` (back off) or seconds to wait.
RetryDecision = float | None | Literal[False]
Classifier = Callable[[Exception], RetryDecision]

logger = logging.getLogger("bot.retry")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry; ``attempts`` counts the first call too."""

    attempts: int = 5
    max_seconds: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: bool = True
    wait: bool = True  # False: never sleep, not even for Retry-After (tests)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.max_seconds < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry times cannot be negative")

    @classmethod
    def no_wait(cls, attempts: int = 5) -> RetryPolicy:
        """A policy that retries without ever sleeping: for tests."""
        return cls(attempts=attempts, base_delay=0.0, max_delay=0.0, jitter=False, wait=False)

    def backoff(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Delay before retry number ``retry`` (1-based): doubling, capped, jittered in [d/2, d]."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** min(retry - 1, 32))
        if self.jitter:
            # "Equal jitter": keeps a floor so retries stay spaced, spreads clients apart above it.
            delay = delay / 2 + rand() * delay / 2
        return delay


def _not_secret(exc: Exception) -> dict[str, object]:
    # Type and cloud error code only: messages may echo request data, and are logged by the caller.
    return {"error_type": type(exc).__name__, "error_code": getattr(exc, "code", None)}


async def retry_call(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    should_retry: Classifier,
    *,
    operation: str = "call",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """Await ``fn()`` until it succeeds, the classifier says stop, or the bounds are spent."""
    deadline = clock() + policy.max_seconds
    attempt = 1
    while True:
        try:
            return await fn()
        except Exception as exc:
            decision = should_retry(exc)
            remaining = deadline - clock()
            if decision is False or attempt >= policy.attempts or remaining <= 0:
                raise
            wanted = policy.backoff(attempt, rand) if decision is None else max(0.0, decision)
            delay = min(wanted, remaining)
            logger.info(
                "retrying %s",
                operation,
                extra={"operation": operation, "attempt": attempt, "delay_s": round(delay, 3)}
                | _not_secret(exc),
            )
            if delay > 0 and policy.wait:
                await sleep(delay)
            attempt += 1

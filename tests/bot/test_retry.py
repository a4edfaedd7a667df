"""Tests for bot.retry: bounded by attempts and time, jittered, honouring Retry-After."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from bot.retry import RetryDecision, RetryPolicy, retry_call


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky:
    """Fails ``failures`` times with a fresh error each time, then returns "ok"."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.errors: list[Exception] = []

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            self.errors.append(OSError(f"failure {self.calls}"))
            raise self.errors[-1]
        return "ok"


def always(decision: RetryDecision):
    return lambda exc: decision


async def run(fn: Flaky, policy: RetryPolicy, decision: RetryDecision, t: FakeTime) -> str:
    return await retry_call(fn, policy, always(decision), sleep=t.sleep, clock=t.clock)


async def test_returns_after_transient_failures():
    """Returns the value once a retried call succeeds."""
    t, fn = FakeTime(), Flaky(failures=2)
    assert await run(fn, RetryPolicy(jitter=False), None, t) == "ok"
    assert fn.calls == 3
    assert t.sleeps == [0.5, 1.0]


async def test_attempts_bound_and_last_error_propagates():
    """Stops after `attempts` calls and re-raises the last error unchanged."""
    t, fn = FakeTime(), Flaky(failures=100)
    with pytest.raises(OSError, match="failure 3") as caught:
        await run(fn, RetryPolicy(attempts=3, jitter=False), None, t)
    assert fn.calls == 3
    assert caught.value is fn.errors[-1]


async def test_time_bound_caps_the_last_wait():
    """Never sleeps past the time budget, and gives up when it is spent."""
    t, fn = FakeTime(), Flaky(failures=100)
    policy = RetryPolicy(attempts=100, max_seconds=10, base_delay=1, max_delay=4, jitter=False)
    with pytest.raises(OSError, match="failure 5"):
        await run(fn, policy, None, t)
    assert t.sleeps == [1, 2, 4, 3]
    assert fn.calls == 5
    assert t.now == 10


async def test_retry_after_is_honoured_beyond_max_delay():
    """Waits as long as the server asks, even longer than the backoff cap."""
    t, fn = FakeTime(), Flaky(failures=1)
    assert await run(fn, RetryPolicy(max_delay=2), 20.0, t) == "ok"
    assert t.sleeps == [20.0]


async def test_retry_after_is_capped_by_time_budget():
    """A Retry-After longer than the remaining budget is cut to what is left."""
    t, fn = FakeTime(), Flaky(failures=100)
    with pytest.raises(OSError, match="failure 3"):
        await run(fn, RetryPolicy(max_seconds=30), 20.0, t)
    assert t.sleeps == [20.0, 10.0]
    assert fn.calls == 3


async def test_non_retryable_error_propagates_at_once():
    """A classifier answer of False re-raises the first error without sleeping."""
    t, fn = FakeTime(), Flaky(failures=1)
    with pytest.raises(OSError, match="failure 1") as caught:
        await run(fn, RetryPolicy(), False, t)
    assert fn.calls == 1
    assert t.sleeps == []
    assert caught.value is fn.errors[0]


async def test_classifier_sees_each_error():
    """The classifier decides per error: here it retries once, then refuses."""
    t, fn = FakeTime(), Flaky(failures=5)
    seen: list[BaseException] = []

    def once(exc: Exception) -> RetryDecision:
        seen.append(exc)
        return None if len(seen) == 1 else False

    with pytest.raises(OSError, match="failure 2"):
        await retry_call(fn, RetryPolicy(), once, sleep=t.sleep, clock=t.clock)
    assert seen == fn.errors


def test_backoff_doubles_and_caps_without_jitter():
    """Without jitter the delays double from base_delay up to max_delay."""
    policy = RetryPolicy(base_delay=0.5, max_delay=3, jitter=False)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_half_to_full_delay():
    """Jittered delays fall between half and all of the un-jittered delay."""
    policy = RetryPolicy(base_delay=1, max_delay=8)
    assert policy.backoff(3, rand=lambda: 0.0) == 2.0
    assert policy.backoff(3, rand=lambda: 1.0) == 4.0
    rng = random.Random(7)
    delays = [policy.backoff(3, rand=rng.random) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100  # actually spread out


async def test_no_wait_never_sleeps():
    """no_wait() retries immediately, even when the server asks for a delay."""
    t, fn = FakeTime(), Flaky(failures=3)
    assert await run(fn, RetryPolicy.no_wait(attempts=4), 5.0, t) == "ok"
    assert fn.calls == 4
    assert t.sleeps == []


async def test_cancellation_is_not_retried():
    """Cancellation goes straight through without consulting the classifier."""
    consulted: list[BaseException] = []

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await retry_call(cancelled, RetryPolicy.no_wait(), consulted.append)
    assert consulted == []


async def test_each_retry_is_logged_with_structured_fields(caplog: pytest.LogCaptureFixture):
    """Logs one record per retry with operation, attempt, delay and error type."""
    t, fn = FakeTime(), Flaky(failures=2)
    with caplog.at_level(logging.INFO, logger="bot.retry"):
        await retry_call(
            fn,
            RetryPolicy(jitter=False),
            always(None),
            operation="GET /x",
            sleep=t.sleep,
            clock=t.clock,
        )
    records = [r for r in caplog.records if r.name == "bot.retry"]
    assert [(r.operation, r.attempt, r.delay_s) for r in records] == [
        ("GET /x", 1, 0.5),
        ("GET /x", 2, 1.0),
    ]
    assert records[0].error_type == "OSError"
    assert "failure" not in caplog.text  # messages may carry request data: not logged


def test_policy_rejects_zero_attempts():
    """A policy must allow at least one attempt."""
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)

"""The clock rules: each one a plain function of numbers."""

from __future__ import annotations

import pytest

from bot.core.clock import (
    EVENT_MEMORY_SECONDS,
    POLL_CEILING_SECONDS,
    RESPONSE_URL_LIFETIME,
    Timing,
    events_forgotten_before,
    preview_expired,
    response_url_alive,
)
from bot.rates import MARGIN

T = Timing.of(confirm_ttl=600, job_timeout=1800, http_timeout=15, retry_budget=30)
NOW = 1_800_000_000.0


def test_stale_claim_outlasts_any_stop_post() -> None:
    """A claim is orphaned only after two HTTP timeouts, the retry budget and a margin."""
    assert T.stale_claim == 2 * 15 + 30 + 10
    assert not T.claim_orphaned(NOW, NOW + T.stale_claim)
    assert T.claim_orphaned(NOW, NOW + T.stale_claim + 0.001)


def test_preview_expires_at_its_ttl_exactly() -> None:
    """A preview accepts clicks strictly before created + TTL."""
    expires = T.preview_expiry(NOW)
    assert expires == NOW + 600
    assert not preview_expired(expires, expires - 0.001)
    assert preview_expired(expires, expires)


def test_confirmation_window_and_stuck_confirmations() -> None:
    """Old confirmations are not acted on; stuck ones are re-driven; none without a click."""
    assert T.confirmation_too_old(NOW, NOW + 601)
    assert not T.confirmation_too_old(NOW, NOW + 600)
    assert not T.confirmation_too_old(None, NOW)
    assert T.confirm_stuck(NOW, NOW + T.stale_claim + 1)
    assert not T.confirm_stuck(None, NOW)


def test_job_timeout_and_overdue_report() -> None:
    """Watching ends after the job timeout; a report is overdue from the same span on."""
    assert T.job_timed_out(NOW, NOW + 1800.001)
    assert not T.job_timed_out(NOW, NOW + 1800)
    assert not T.job_timed_out(None, NOW + 10**9)
    assert T.report_overdue(NOW, NOW + 1800)
    assert not T.report_overdue(None, NOW)


def test_response_url_and_event_memory() -> None:
    """A response URL lives just under 30 minutes; event ids are kept a day."""
    assert response_url_alive(NOW, NOW + RESPONSE_URL_LIFETIME - 1)
    assert not response_url_alive(NOW, NOW + RESPONSE_URL_LIFETIME)
    assert events_forgotten_before(NOW) == NOW - EVENT_MEMORY_SECONDS


def test_a_fresh_job_is_polled_at_the_poll_interval() -> None:
    """For its first ten intervals a job is polled every BMS_POLL_INTERVAL."""
    timing = Timing.of(
        confirm_ttl=600, job_timeout=1800, http_timeout=15, retry_budget=30, poll_interval=5
    )
    assert timing.poll_every(0, 1) == 5
    assert timing.poll_every(50, 1) == 5


def test_a_long_job_is_polled_less_often_up_to_the_ceiling() -> None:
    """A job polled every tenth of its running time, but at least every 30 seconds."""
    timing = Timing.of(
        confirm_ttl=600, job_timeout=1800, http_timeout=15, retry_budget=30, poll_interval=5
    )
    assert timing.poll_every(120, 1) == 12
    assert timing.poll_every(3600, 1) == POLL_CEILING_SECONDS


def test_many_jobs_are_polled_no_faster_than_the_limit_allows() -> None:
    """With N jobs in flight a round takes N turns of the job-query limit, whatever their age."""
    timing = Timing.of(
        confirm_ttl=600, job_timeout=1800, http_timeout=15, retry_budget=30,
        poll_interval=5, job_queries_per_minute=2000,
    )  # fmt: skip
    assert timing.poll_every(0, 1000) == pytest.approx(1000 * 60 * MARGIN / 2000)
    assert timing.poll_every(3600, 5000) == pytest.approx(5000 * 60 * MARGIN / 2000)
    assert timing.poll_every(0, 10) == 5


def test_a_poll_interval_above_the_ceiling_is_kept() -> None:
    """A configured poll interval longer than the ceiling is never shortened."""
    timing = Timing.of(
        confirm_ttl=600, job_timeout=1800, http_timeout=15, retry_budget=30, poll_interval=90
    )
    assert timing.poll_every(3600, 1) == 90

"""Every rule that depends on the clock, as plain functions of numbers (epoch seconds).

The store's compare-and-set guards repeat ``preview_expired`` in SQL (``expires_at > now``) so
that a click and the expiry cannot both win; everything else asks here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.rates import spacing

RESPONSE_URL_LIFETIME = 29 * 60  # Slack honours a response_url for 30 minutes
EVENT_MEMORY_SECONDS = 24 * 3600  # Slack redelivers an event for minutes, never a day later
CLAIM_MARGIN_SECONDS = 10
POLL_SLOWDOWN = 10  # a long job is polled every tenth of the time it has been running ...
POLL_CEILING_SECONDS = 30.0  # ... but at least this often (unless the rate limit needs longer)


@dataclass(frozen=True, slots=True)
class Timing:
    """The configured durations, and the rules that use them."""

    confirm_ttl: float  # BMS_CONFIRM_TTL: how long a preview can be confirmed
    job_timeout: float  # BMS_JOB_TIMEOUT: how long a submitted request is watched
    stale_claim: float  # longer than any stop POST with its retries can take
    reconcile_window: float = 120.0  # BMS_RECONCILE_SECONDS: time for a lost stop to show
    poll_interval: float = 5.0  # BMS_POLL_INTERVAL: how often a fresh job is polled
    job_queries_per_minute: float = 2000.0  # BMS_JOB_QUERIES_PER_MINUTE

    @classmethod
    def of(
        cls,
        *,
        confirm_ttl: float,
        job_timeout: float,
        http_timeout: float,
        retry_budget: float,
        reconcile_window: float = 120.0,
        poll_interval: float = 5.0,
        job_queries_per_minute: float = 2000.0,
    ) -> Timing:
        """A stop POST takes at most two HTTP timeouts (connect and read) plus the retry budget."""
        stale = 2 * http_timeout + retry_budget + CLAIM_MARGIN_SECONDS
        return cls(
            confirm_ttl, job_timeout, stale, reconcile_window, poll_interval, job_queries_per_minute
        )

    def poll_every(self, running_for: float, jobs_in_flight: int) -> float:
        """Seconds between polls of a request whose jobs have run ``running_for`` seconds: the
        poll interval at first, then a tenth of the running time up to ``POLL_CEILING_SECONDS``,
        and never less than one full round of the ``jobs_in_flight`` job queries takes within
        the job-query limit."""
        ceiling = max(self.poll_interval, POLL_CEILING_SECONDS)
        wanted = min(max(self.poll_interval, running_for / POLL_SLOWDOWN), ceiling)
        return max(wanted, jobs_in_flight * spacing(self.job_queries_per_minute))

    def waited_since(self, sent_at: float | None, now: float) -> float:
        """How long ago a call went out (a call with no time recorded: as long as the window)."""
        return self.reconcile_window if sent_at is None else now - sent_at

    def preview_expiry(self, created_at: float) -> float:
        """When a preview made at ``created_at`` stops accepting its Stop button."""
        return created_at + self.confirm_ttl

    def confirmation_too_old(self, confirmed_at: float | None, now: float) -> bool:
        """A confirmation not acted on within its window is never acted on (after a restart)."""
        return confirmed_at is not None and now - confirmed_at > self.confirm_ttl

    def claim_orphaned(self, claimed_at: float, now: float) -> bool:
        """A claim this old has no live sender: its POST has ended, one way or another."""
        return now - claimed_at > self.stale_claim

    def confirm_stuck(self, confirmed_at: float | None, now: float) -> bool:
        """A request still CONFIRMED this long after the click needs recovery to drive it on."""
        return confirmed_at is not None and now - confirmed_at > self.stale_claim

    def job_timed_out(self, submitted_at: float | None, now: float) -> bool:
        """The bot stops watching a request's jobs this long after submitting them."""
        return submitted_at is not None and now - submitted_at > self.job_timeout

    def report_overdue(self, reporting_since: float | None, now: float) -> bool:
        """A report Slack kept refusing this long is told to the requester privately instead."""
        return reporting_since is not None and now - reporting_since >= self.job_timeout


def preview_expired(expires_at: float, now: float) -> bool:
    """A preview accepts its Stop button strictly before ``expires_at``."""
    return expires_at <= now


def response_url_alive(created_at: float, now: float) -> bool:
    """Whether the command's response URL still answers (else: an ephemeral in the channel)."""
    return now - created_at < RESPONSE_URL_LIFETIME


def events_forgotten_before(now: float) -> float:
    """Event ids seen before this instant can be forgotten: no retry comes that late."""
    return now - EVENT_MEMORY_SECONDS

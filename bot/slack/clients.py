"""The Slack Web API clients: one that waits out a 429, one that gives up at once.

Half of the bot's Slack 429 policy lives here (which calls wait for ``Retry-After``); the other
half is the poster's edit gate (how often the root may be edited). Nothing else decides it.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.settings import Settings

SLACK_TIMEOUT_SECONDS = 10
CONNECTION_RETRIES = 2
RATE_LIMIT_RETRIES = 3


class _CountedRateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 as the SDK does, and counts it."""

    async def _can_retry_async(self, **kwargs: Any) -> bool:
        limited = await super()._can_retry_async(**kwargs)
        if limited:
            metrics.SLACK_THROTTLED.inc()
        return limited


def create_slack_client(
    settings: Settings, *, wait_when_limited: bool = True, retry_connections: bool = True
) -> AsyncWebClient:
    """A Web API client; 429s wait for Retry-After unless ``wait_when_limited`` is off (for
    best-effort edits that must never hold up a poll), and dropped connections are retried
    unless ``retry_connections`` is off: a post resent after a dropped connection may appear
    twice, so posts are never resent blindly (the poster looks for them first)."""
    retries: list[AsyncRetryHandler] = []
    if retry_connections:
        retries.append(AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES))
    if wait_when_limited:
        retries.append(_CountedRateLimitRetries(max_retry_count=RATE_LIMIT_RETRIES))
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=retries,
    )

"""The factory: ``create_app(deps)`` builds the Bolt app; nothing here is global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.deps import Deps
from bot.settings import Settings

SLACK_TIMEOUT_SECONDS = 10


def create_slack_client(settings: Settings, *, wait_when_limited: bool = True) -> AsyncWebClient:
    """A Web API client; dropped connections are retried, and 429s wait for Retry-After unless
    ``wait_when_limited`` is off (for best-effort edits that must never hold up a poll)."""
    handlers_: list[AsyncRetryHandler] = [AsyncConnectionErrorRetryHandler(max_retry_count=2)]
    if wait_when_limited:
        handlers_.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=handlers_,
    )


def create_app(deps: Deps) -> AsyncApp:
    settings = deps.settings
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=deps.poster.client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Socket Mode payloads arrive over an authenticated WebSocket and carry no signature.
        request_verification_enabled=secret is not None,
        process_before_response=False,  # ack goes out the moment ack() is called
    )

    async def inject_deps(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        context["deps"] = deps
        await next()

    app.use(inject_deps)
    handlers.register(app)
    return app

"""The factory: ``create_app(deps)`` builds the Bolt app; nothing here is global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

import handlers
from bot.deps import Deps


def create_app(deps: Deps) -> AsyncApp:
    secret = deps.settings.http_signing_secret
    app = AsyncApp(
        client=deps.poster.client,
        signing_secret=secret or "",
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

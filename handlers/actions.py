"""Button clicks on the preview: ack at once, then let the store decide who wins."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.ids import ActionId
from bot.slack.place import place_required
from handlers.errors import reported


async def handle_confirm(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await deps.stops.confirm(str(action.get("value", "")), place_required(body, "click"))


async def handle_cancel(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await deps.stops.cancel(str(action.get("value", "")), place_required(body, "click"))


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM.value)(handle_confirm)
    app.action(ActionId.CANCEL.value)(handle_cancel)

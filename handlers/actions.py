"""Button clicks on the preview: ack at once, then let the store decide who wins."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.flow.confirm import on_cancel, on_confirm
from bot.flow.place import Place
from bot.ids import ActionId
from handlers.errors import reported


def place_of(body: dict[str, Any]) -> Place:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    return Place(
        team_id=(body.get("team") or {}).get("id", ""),
        channel_id=channel,
        user_id=body["user"]["id"],
        origin="click",
        thread_ts=container.get("thread_ts"),
        response_url=body.get("response_url"),
    )


async def handle_confirm(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await on_confirm(deps, str(action.get("value", "")), place_of(body))


async def handle_cancel(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await on_cancel(deps, str(action.get("value", "")), place_of(body))


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM.value)(handle_confirm)
    app.action(ActionId.CANCEL.value)(handle_cancel)

"""Button clicks on the preview and on approval requests: ack at once, then let the store decide
who wins."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.blocks.approval import reject_reason_view as reject_view
from bot.deps import Deps
from bot.ids import ActionId
from bot.slack.place import place_required
from bot.slack.poster import SlackFailure, slack_call
from handlers.errors import reported

log = logging.getLogger(__name__)


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


async def handle_approve(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await deps.stops.approve(str(action.get("value", "")), place_required(body, "click"))


async def handle_reject(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    """Ask for an optional reason in a modal; without a modal, reject with none."""
    await ack()
    async with reported(body, deps):
        request_id, place = str(action.get("value", "")), place_required(body, "click")
        if not await deps.stops.may_decide(request_id, place):
            return
        try:
            trigger = str(body.get("trigger_id") or "")
            await slack_call(
                deps.poster.client.views_open(trigger_id=trigger, view=reject_view(request_id))
            )
        except SlackFailure as exc:
            log.warning("could not open the reject modal", extra={"error": exc.error})
            await deps.stops.reject(request_id, place, None)


async def handle_acknowledge(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await deps.stops.acknowledge(str(action.get("value", "")), place_required(body, "click"))


async def handle_withdraw(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        await deps.stops.withdraw(str(action.get("value", "")), place_required(body, "click"))


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM.value)(handle_confirm)
    app.action(ActionId.CANCEL.value)(handle_cancel)
    app.action(ActionId.APPROVE.value)(handle_approve)
    app.action(ActionId.REJECT.value)(handle_reject)
    app.action(ActionId.ACKNOWLEDGE.value)(handle_acknowledge)
    app.action(ActionId.WITHDRAW.value)(handle_withdraw)

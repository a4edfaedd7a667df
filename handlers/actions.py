"""Button clicks on the preview and on approval requests: ack at once, then let the store decide
who wins."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.blocks.approval import reject_reason_view as reject_view
from bot.deps import Deps
from bot.ids import ActionId
from bot.slack.place import Place, place_required
from bot.slack.poster import SlackFailure, slack_call
from handlers.errors import reported

log = logging.getLogger(__name__)


# One stop-service step per button: it gets the request id on the button and the clicker.
Step = Callable[[Deps, str, Place], Awaitable[object]]
Listener = Callable[[AsyncAck, dict[str, Any], dict[str, Any], Deps], Awaitable[None]]


def clicked(step: Step) -> Listener:
    """A listener that acks at once, then hands the button's request id and the clicker to
    ``step``, with errors answered where the click came from."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
    ) -> None:
        await ack()
        async with reported(body, deps):
            await step(deps, str(action.get("value", "")), place_required(body, "click"))

    return listener


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


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM.value)(clicked(lambda d, r, p: d.stops.confirm(r, p)))
    app.action(ActionId.CANCEL.value)(clicked(lambda d, r, p: d.stops.cancel(r, p)))
    app.action(ActionId.APPROVE.value)(clicked(lambda d, r, p: d.stops.approve(r, p)))
    app.action(ActionId.REJECT.value)(handle_reject)
    app.action(ActionId.ACKNOWLEDGE.value)(clicked(lambda d, r, p: d.stops.acknowledge(r, p)))
    app.action(ActionId.WITHDRAW.value)(clicked(lambda d, r, p: d.stops.withdraw(r, p)))

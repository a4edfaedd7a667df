"""Button clicks on the preview, on approval requests and on scheduled stops: ack at once, then
let the store decide who wins."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.blocks.approval import reject_reason_view as reject_view
from bot.blocks.message import notice
from bot.blocks.schedule import postpone_view, read_schedule_value
from bot.core.schedule import POSTPONE_STEP
from bot.core.when import After
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


def _postpone_hour(deps: Deps, value: str, place: Place) -> Awaitable[object]:
    request_id, seen = read_schedule_value(value)
    return _postponed(deps, request_id, place, seen)


async def _postponed(deps: Deps, request_id: str, place: Place, seen: float | None) -> None:
    problem = await deps.stops.postpone(request_id, place, After(POSTPONE_STEP), seen)
    if problem is not None:
        await deps.poster.tell(place, notice(f"Nothing changed: {problem}"), replace=False)


def pick_time(*, missed: bool) -> Listener:
    """Postpone to… and Reschedule…: a modal for the new time, for those who may change it."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], deps: Deps
    ) -> None:
        await ack()
        async with reported(body, deps):
            place = place_required(body, "click")
            request_id, seen = read_schedule_value(str(action.get("value", "")))
            if seen is None or not await deps.stops.may_change_schedule(
                request_id, place, missed=missed
            ):
                return
            view = postpone_view(request_id, seen, missed=missed)
            try:
                trigger = str(body.get("trigger_id") or "")
                await slack_call(deps.poster.client.views_open(trigger_id=trigger, view=view))
            except SlackFailure as exc:
                log.warning("could not open the postpone modal", extra={"error": exc.error})
                hint = "`/bms postpone " + request_id + " <time | duration>` does the same."
                await deps.poster.tell(place, notice(f"The form would not open. {hint}"))

    return listener


def register(app: AsyncApp) -> None:
    app.action(ActionId.CONFIRM.value)(clicked(lambda d, r, p: d.stops.confirm(r, p)))
    app.action(ActionId.CANCEL.value)(clicked(lambda d, r, p: d.stops.cancel(r, p)))
    app.action(ActionId.APPROVE.value)(clicked(lambda d, r, p: d.stops.approve(r, p)))
    app.action(ActionId.REJECT.value)(handle_reject)
    app.action(ActionId.ACKNOWLEDGE.value)(clicked(lambda d, r, p: d.stops.acknowledge(r, p)))
    app.action(ActionId.WITHDRAW.value)(clicked(lambda d, r, p: d.stops.withdraw(r, p)))
    app.action(ActionId.SCHEDULE_CANCEL.value)(
        clicked(lambda d, r, p: d.stops.cancel_schedule(r, p))
    )
    app.action(ActionId.POSTPONE_HOUR.value)(clicked(_postpone_hour))
    app.action(ActionId.POSTPONE_PICK.value)(pick_time(missed=False))
    app.action(ActionId.RESCHEDULE.value)(pick_time(missed=True))
    app.action(ActionId.RUN_NOW.value)(clicked(lambda d, r, p: d.stops.run_now(r, p)))

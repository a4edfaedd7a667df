"""Submitted modals: the reject reason, a scheduled stop's new time. Ack at once (the modal
closes, or shows what cannot be read), then decide."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.blocks.message import notice
from bot.blocks.problems import problem_line
from bot.blocks.schedule import read_schedule_value
from bot.core.parser import parse_postponement
from bot.core.problems import Problem
from bot.deps import Deps
from bot.ids import BlockId, CallbackId
from bot.slack.place import Place
from handlers.errors import reported


def _typed(view: dict[str, Any], block: BlockId, action: CallbackId) -> str | None:
    """The typed text, if the view carries one where the modal put it."""
    value: Any = view
    for key in ("state", "values", block.value, action.value):
        value = value.get(key) if isinstance(value, dict) else None
    value = value.get("value") if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _reason(view: dict[str, Any]) -> str | None:
    return _typed(view, BlockId.REJECT_REASON, CallbackId.REJECT_REASON)


async def _place(body: dict[str, Any], deps: Deps, request_id: str) -> Place | None:
    """A modal has no channel: answer the person where the request is."""
    req = await deps.store.requests.get(request_id)
    who = body.get("user")
    user = str(who.get("id") or "") if isinstance(who, dict) else ""
    if req is None or not user:
        return None
    return Place(req.team_id, req.channel_id, user, "click", req.thread_ts, None)


async def handle_reject_reason(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        request_id = str(view.get("private_metadata") or "")
        place = await _place(body, deps, request_id)
        if place is not None:
            await deps.stops.reject(request_id, place, _reason(view))


async def handle_new_time(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Postpone to… or Reschedule…: a time that cannot be read is shown in the modal; one that
    reads but cannot be used (past, too far, a DST gap) is told in the channel after."""
    text = _typed(view, BlockId.POSTPONE_TIME, CallbackId.POSTPONE) or ""
    missed = str(view.get("private_metadata") or "").endswith("|missed")
    when = parse_postponement(text.split())
    if isinstance(when, Problem):
        errors = {BlockId.POSTPONE_TIME.value: problem_line(when).replace("`", "")[:300]}
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    async with reported(body, deps):
        meta = str(view.get("private_metadata") or "").removesuffix("|missed")
        request_id, seen = read_schedule_value(meta)
        place = await _place(body, deps, request_id)
        if place is None:
            return
        if missed:
            problem = await deps.stops.reschedule(request_id, place, when)
        else:
            problem = await deps.stops.postpone(request_id, place, when, seen)
        if problem is not None:
            await deps.poster.tell(place, notice(f"Nothing changed: {problem}"), replace=False)


def register(app: AsyncApp) -> None:
    app.view(CallbackId.REJECT_REASON.value)(handle_reject_reason)
    app.view(CallbackId.POSTPONE.value)(handle_new_time)

"""Submitted modals: the reject reason. Ack at once (the modal closes), then decide."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.ids import BlockId, CallbackId
from bot.slack.place import Place
from handlers.errors import reported


def _reason(view: dict[str, Any]) -> str | None:
    """The typed reason, if the view carries one where the modal put it."""
    value: Any = view
    for key in ("state", "values", BlockId.REJECT_REASON.value, CallbackId.REJECT_REASON.value):
        value = value.get(key) if isinstance(value, dict) else None
    value = value.get("value") if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


async def handle_reject_reason(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        request_id = str(view.get("private_metadata") or "")
        req = await deps.store.requests.get(request_id)
        who = body.get("user")
        user = str(who.get("id") or "") if isinstance(who, dict) else ""
        if req is None or not user:
            return
        # A modal has no channel: answer the approver where the request is.
        place = Place(req.team_id, req.channel_id, user, "click", req.thread_ts, None)
        await deps.stops.reject(request_id, place, _reason(view))


def register(app: AsyncApp) -> None:
    app.view(CallbackId.REJECT_REASON.value)(handle_reject_reason)

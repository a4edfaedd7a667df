"""Submitted modals: the reject reason. Ack at once (the modal closes), then decide."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.ids import BlockId, CallbackId
from bot.slack.place import Place
from handlers.errors import reported


def _reason(view: dict[str, Any]) -> str | None:
    values = ((view.get("state") or {}).get("values") or {}).get(BlockId.REJECT_REASON.value) or {}
    field = values.get(CallbackId.REJECT_REASON.value) or {}
    value = field.get("value") if isinstance(field, dict) else None
    return value if isinstance(value, str) else None


async def handle_reject_reason(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    await ack()
    async with reported(body, deps):
        request_id = str(view.get("private_metadata") or "")
        req = await deps.store.requests.get(request_id)
        user = str((body.get("user") or {}).get("id") or "")
        if req is None or not user:
            return
        # A modal has no channel: answer the approver where the request is.
        place = Place(req.team_id, req.channel_id, user, "click", req.thread_ts, None)
        await deps.stops.reject(request_id, place, _reason(view))


def register(app: AsyncApp) -> None:
    app.view(CallbackId.REJECT_REASON.value)(handle_reject_reason)

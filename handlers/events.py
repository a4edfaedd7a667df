"""``@bms-bot stop …`` in a thread, where slash commands cannot run. Retried deliveries (same
``event_id``) are recognised in the database and dropped, even when they overlap the first."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core.parser import parse_command, strip_mention
from bot.deps import Deps
from bot.slack.place import place_required
from handlers.errors import reported

log = logging.getLogger(__name__)


async def handle_app_mention(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    event_id = str(body.get("event_id") or event.get("client_msg_id") or event.get("ts"))
    async with reported(body, deps):
        if not await deps.store.events.first_sighting(event_id, deps.stops.now()):
            log.info("duplicate event delivery ignored", extra={"event_id": event_id})
            return
        place = place_required(body, "mention")
        await deps.commands.run(parse_command(strip_mention(event.get("text") or "")), place)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(handle_app_mention)

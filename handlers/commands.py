"""``/bms``: parse, ack within Slack's 3 seconds with something useful, then do the slow part."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands import answered_at_once
from bot.core.parser import parse_command
from bot.deps import Deps
from bot.slack.place import place_required
from handlers.errors import reported


async def handle_bms_command(
    ack: AsyncAck, command: dict[str, Any], body: dict[str, Any], deps: Deps
) -> None:
    parsed = parse_command(command.get("text") or "")
    await ack(**deps.poster.ack_kwargs(deps.commands.first_answer(parsed)))
    if answered_at_once(parsed):
        return
    async with reported(body, deps):
        await deps.commands.run(parsed, place_required(body, "command"))


def register(app: AsyncApp) -> None:
    app.command("/bms")(handle_bms_command)

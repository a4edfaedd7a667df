"""``/bms``: parse, ack within Slack's 3 seconds with something useful, then do the slow part."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.blocks.help import help_message
from bot.blocks.notices import looking_up_message, parse_error_message
from bot.core.parser import HelpCommand, ParseError, StatusCommand, StopCommand, parse_command
from bot.deps import Deps
from bot.flow.commands import run_status, run_stop
from handlers.errors import reported
from handlers.places import place_required


async def handle_bms_command(
    ack: AsyncAck, command: dict[str, Any], body: dict[str, Any], deps: Deps
) -> None:
    parsed = parse_command(command.get("text") or "")
    if isinstance(parsed, HelpCommand):
        await ack(**help_message(deps.simulated, deps.sample_servers).as_ack())
        return
    if isinstance(parsed, ParseError):
        await ack(**parse_error_message(parsed, simulated=deps.simulated).as_ack())
        return
    place = place_required(body, "command")
    if isinstance(parsed, StatusCommand):
        await ack(text=f"Checking job `{parsed.job_id}`…")
        async with reported(body, deps):
            await run_status(deps, parsed, place)
    elif isinstance(parsed, StopCommand):
        await ack(**looking_up_message(len(parsed.server_ids), simulated=deps.simulated).as_ack())
        async with reported(body, deps):
            await run_stop(deps, parsed, place)


def register(app: AsyncApp) -> None:
    app.command("/bms")(handle_bms_command)

"""Running a parsed command for a person, wherever they asked (slash command or mention)."""

from __future__ import annotations

import logging

from bot.blocks.help import help_message
from bot.blocks.notices import cloud_error_message, parse_error_message
from bot.blocks.preview import preview_message
from bot.blocks.status import status_message
from bot.bms.errors import CloudError
from bot.core.parser import Command, HelpCommand, ParseError, StatusCommand, StopCommand
from bot.deps import Deps
from bot.flow.place import Place, tell
from bot.flow.preview import prepare_stop

log = logging.getLogger(__name__)


async def run_command(deps: Deps, command: Command, place: Place) -> None:
    match command:
        case HelpCommand():
            await tell(deps.poster, place, help_message(deps.simulated, deps.sample_servers))
        case ParseError():
            await tell(deps.poster, place, parse_error_message(command, simulated=deps.simulated))
        case StatusCommand():
            await run_status(deps, command, place)
        case StopCommand():
            await run_stop(deps, command, place)


async def run_stop(deps: Deps, command: StopCommand, place: Place) -> None:
    try:
        preview = await prepare_stop(deps, command, place)
    except CloudError as err:
        log.warning("lookup failed", extra={"error": str(err)})
        await tell(
            deps.poster,
            place,
            cloud_error_message(err, "looking up the servers", simulated=deps.simulated),
        )
        return
    await tell(deps.poster, place, preview_message(preview))


async def run_status(deps: Deps, command: StatusCommand, place: Place) -> None:
    try:
        job = await deps.bms.get_job(command.job_id)
    except CloudError as err:
        await tell(
            deps.poster,
            place,
            cloud_error_message(err, f"reading job {command.job_id}", simulated=deps.simulated),
        )
        return
    names: dict[str, str] = {}
    chunk = await deps.store.chunk_by_job_id(command.job_id)
    if chunk is not None:
        req = await deps.store.get_request(chunk.request_id)
        names = req.names if req else {}
    await tell(deps.poster, place, status_message(job, names, simulated=deps.simulated))

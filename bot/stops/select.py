"""Step 0 of a stop by tag: list the project's servers once and keep those carrying every
``tag:`` selector, beside the ids named. The servers listed are the lookup itself, so the
preview does not look them up again."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.bms.models import Server
from bot.core.parser import MAX_IDS, StopCommand
from bot.core.problems import Problem, ProblemKind
from bot.core.tags import tag_matches
from bot.stops.ports import StopCloud


@dataclass(frozen=True, slots=True)
class Selection:
    """The command with every selected id in ``server_ids`` (named ones first); ``found`` holds
    the servers already listed (None: nothing was, look the ids up)."""

    command: StopCommand
    found: dict[str, Server] | None = None


async def select(cloud: StopCloud, command: StopCommand) -> Selection | Problem:
    """The servers a command names or selects by tag; a ``Problem`` when the tags select none,
    or more than one request may stop. ``CloudError`` if the listing fails."""
    if not command.tags:
        return Selection(command)
    servers = await cloud.all_servers()
    shown = " ".join(f"tag:{t}" for t in command.tags)
    tagged = [s.id for s in servers if all(tag_matches(t, s.tags) for t in command.tags)]
    if not tagged:
        return Problem(ProblemKind.NO_TAGGED_SERVERS, shown)
    ids = tuple(dict.fromkeys([*command.server_ids, *tagged]))
    if len(ids) > MAX_IDS:
        return Problem(ProblemKind.TOO_MANY_TAGGED, shown, count=len(ids), limit=MAX_IDS)
    by_id = {s.id: s for s in servers}
    found = {i: by_id[i] for i in ids if i in by_id}
    return Selection(dataclasses.replace(command, server_ids=ids), found)

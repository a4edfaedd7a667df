"""The one typed dependency object every listener receives (through Bolt's context)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.bms.client import BmsClient
from bot.commands import Commands
from bot.settings import Settings
from bot.slack.directory import Directory
from bot.slack.poster import Poster
from bot.stops.service import StopService
from bot.store import Store
from bot.store.leadership import Leadership
from bot.watcher import Watcher


@dataclass(frozen=True)
class Deps:
    settings: Settings
    bms: BmsClient
    store: Store
    poster: Poster
    watcher: Watcher
    stops: StopService
    commands: Commands
    directory: Directory
    leadership: Leadership  # which replica runs the scheduled work
    # The work listeners do after their ack, so that shutdown can let it finish.
    listening: set[asyncio.Task[object]] = field(default_factory=set)

    async def settle(self, within: float) -> bool:
        """Let listener work in flight finish (at most ``within`` seconds); True if it did."""
        running = {t for t in self.listening if not t.done()}
        if not running:
            return True
        _, left = await asyncio.wait(running, timeout=within)
        return not left

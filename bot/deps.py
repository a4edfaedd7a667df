"""The one typed dependency object every listener receives (through Bolt's context)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bms.client import BmsClient
from bot.commands import Commands
from bot.settings import Settings
from bot.slack.directory import Directory
from bot.slack.poster import Poster
from bot.stops.service import StopService
from bot.store import Store
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

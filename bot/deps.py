"""The one typed dependency object every listener and job receives (through Bolt's context)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.bms.client import BmsClient
from bot.settings import Settings
from bot.slack.poster import Poster
from bot.slack.throttle import ProgressGate
from bot.store.repo import Store
from bot.watcher import Watcher


@dataclass(frozen=True)
class Deps:
    settings: Settings
    bms: BmsClient
    store: Store
    poster: Poster
    watcher: Watcher
    progress: ProgressGate
    simulated: bool = False
    sample_servers: tuple[tuple[str, str], ...] = ()  # (name, id) shown by help in simulator mode
    now: Callable[[], float] = field(default=time.time)

"""Where the bot under test runs: as its own ``bms-bot`` child process, or inside this one.

Either way it runs in HTTP mode with real signature checks and a SQLite file database in the
given temporary directory, against the fake Slack and the BMS simulator, which stay in this
process, and with the production timings of ``bot/settings.py``.

* ``child_process``: the real console script (``tests/support/bot_process.py``), configured only
  through its environment, so its CPU time and memory can be read apart from the fakes' and the
  load generator's. Its JSON logs go to a file in the temporary directory.
* ``in_process``: ``bot.runtime.Runtime`` on this event loop (``tests/support/harness.py``), as the
  scenario tests run it; every figure then includes the fakes and the client.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import _proc
from bench._support import production_overrides
from simulator.runner import start_simulator
from simulator.state import Simulator
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import CHANNEL
from tests.support.bot_process import BotProcess, bot_env, free_port
from tests.support.harness import running_bot

STARTUP_SECONDS = 30.0  # imports, schema creation and auth.test on a busy 2-core machine
CHILD_PROCESS_NOTE = (
    "the bot runs as its own bms-bot process; fake Slack, BMS simulator and load generator share "
    "the benchmark process and its event loop; all on 127.0.0.1, competing for the same cores"
)


@dataclass
class Target:
    """The running bot: where to send Slack's requests and, as a child, which process it is."""

    url: str
    pid: int | None = None
    log_path: Path | None = None

    def cpu_seconds(self) -> float | None:
        """The child's CPU time so far; None in-process, where it cannot be told apart."""
        return None if self.pid is None else _proc.cpu_seconds(self.pid)

    def facts(self) -> dict[str, Any]:
        """What only a separate process can report: its peak RSS, total CPU and log volume."""
        if self.pid is None or self.log_path is None:
            return {"bot_peak_rss_mib": None, "bot_cpu_seconds_total": None, "bot_log_lines": None}
        with self.log_path.open("rb") as log:
            lines = sum(1 for _ in log)
        return {
            "bot_peak_rss_mib": _proc.peak_rss_mib(self.pid),
            "bot_cpu_seconds_total": _proc.cpu_seconds(self.pid),
            "bot_log_lines": lines,
        }


@dataclass
class Meter:
    """Wall time, this process's CPU and, when the bot is a child, the bot's CPU, from creation."""

    bot: Target
    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.process_time)
    bot_cpu: float | None = None

    def __post_init__(self) -> None:
        self.bot_cpu = self.bot.cpu_seconds()

    def read(self) -> dict[str, float | None]:
        bot_cpu = self.bot.cpu_seconds()
        return {
            "round_seconds": time.perf_counter() - self.wall,
            "round_cpu_seconds": time.process_time() - self.cpu,  # this process only
            "bot_cpu_seconds": None
            if bot_cpu is None or self.bot_cpu is None
            else bot_cpu - self.bot_cpu,
        }


def production_env() -> dict[str, str]:
    """The production timings as environment variables, undoing ``bot_env``'s test values."""
    return {name.upper(): str(value) for name, value in production_overrides().items()}


@asynccontextmanager
async def child_process(
    tmp: Path, sim: Simulator, slack: FakeSlack, log_level: str | None
) -> AsyncIterator[Target]:
    """``bms-bot run`` as a child; ``log_level`` None keeps the bot's own default (INFO)."""
    await slack.start()
    slack.add_channel(CHANNEL, name="incident-42")
    running = await start_simulator(sim)
    env = bot_env(slack.api_url, running.url, tmp / "bot.db", free_port(), **production_env())
    if log_level is not None:
        env["LOG_LEVEL"] = log_level.upper()
    bot: BotProcess | None = None
    try:
        bot = BotProcess.start(env, tmp, "bms-bot")
        await bot.wait_healthy(timeout=STARTUP_SECONDS)
        yield Target(bot.url, bot.process.pid, bot.log_path)
    finally:
        if bot is not None:
            await bot.terminate()
        await running.close()
        await slack.close()


@asynccontextmanager
async def in_process(
    tmp: Path, sim: Simulator, slack: FakeSlack, log_level: str | None
) -> AsyncIterator[Target]:
    """The bot on this event loop; its logs follow this process's logging (see ``quiet_logs``)."""
    del log_level  # one logging set-up for the whole process, made by the caller
    async with running_bot(tmp, sim=sim, slack=slack, **production_overrides()) as bot:
        yield Target(f"http://127.0.0.1:{bot.runtime.port}")

"""Serve a ``Simulator`` over HTTP: ``start_simulator`` for tests and the bot, ``serve_forever`` for
the ``bms-bot simulator`` command.

Handlers are cancelled when their client disconnects, and shutdown waits at most a second for the
rest, so a test that times out on a delayed answer does not hold up ``close()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from simulator.app import build_app
from simulator.state import Simulator

logger = logging.getLogger("simulator")
SHUTDOWN_SECONDS = 1.0


class RunningSimulator:
    """A simulator listening on ``url`` until ``close()``."""

    def __init__(self, sim: Simulator, runner: web.AppRunner, url: str) -> None:
        self.sim = sim
        self.url = url
        self._runner = runner

    async def close(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningSimulator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_simulator(
    sim: Simulator, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Listen on ``host:port`` (port 0: a free one, reported in ``.url``)."""
    runner = web.AppRunner(
        build_app(sim),
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_SECONDS,
        access_log=None,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host  # IPv6 literal
    return RunningSimulator(sim, runner, f"http://{shown}:{bound_port}")


async def serve_forever(
    sim: Simulator,
    host: str = "127.0.0.1",
    port: int = 8788,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until cancelled (Ctrl-C under ``asyncio.run``), then shut down cleanly.

    ``on_ready`` gets the URL once listening, so a caller asking for port 0 learns the real one.
    """
    running = await start_simulator(sim, host, port)
    logger.info("BMS simulator for project %s listening on %s", sim.project_id, running.url)
    if on_ready is not None:
        on_ready(running.url)
    try:
        await asyncio.Event().wait()
    finally:
        await running.close()

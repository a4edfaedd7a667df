"""The simulator the bot runs in-process when ``BMS_SIMULATOR=true``, so teams can try the Slack
flow before wiring Huawei Cloud credentials.

It listens on a free loopback port with throwaway AK/SK made up at start, and hands the bot a
matching ``auth()``; nothing outside the process can sign requests for it. It is the bot's
``CloudBackend`` (``bot/bms/backend.py``), found through the ``bms_bot.simulator`` entry point.
"""

from __future__ import annotations

import logging
import secrets

import httpx

from bot.bms.signing import AkSkAuth
from simulator.runner import RunningSimulator, start_simulator
from simulator.state import Simulator

EMBEDDED_PROJECT_ID = "51a0000000000000000000000000beef"
SAMPLE_COUNT = 3
log = logging.getLogger(__name__)


class EmbeddedSimulator:
    """A running simulator plus the credentials to call it."""

    simulated = True

    def __init__(self, running: RunningSimulator, access_key: str, secret_key: str) -> None:
        self.running = running
        self._access_key = access_key
        self._secret_key = secret_key

    @classmethod
    async def start(cls, servers: int, host: str = "127.0.0.1", port: int = 0) -> EmbeddedSimulator:
        """Seed ``servers`` ACTIVE servers (web-001, ...) and listen on ``host:port``."""
        access_key = "SIM" + secrets.token_hex(8).upper()
        secret_key = secrets.token_urlsafe(30)
        sim = Simulator(EMBEDDED_PROJECT_ID, access_key, secret_key)
        for server in sim.seed(servers):
            log.info("simulated server", extra={"server_name": server.name, "server_id": server.id})
        return cls(await start_simulator(sim, host, port), access_key, secret_key)

    @property
    def sim(self) -> Simulator:
        return self.running.sim

    @property
    def base_url(self) -> str:
        return self.running.url

    @property
    def project_id(self) -> str:
        return self.sim.project_id

    @property
    def samples(self) -> tuple[tuple[str, str], ...]:
        """(name, id) of the first few servers, for the help message."""
        servers = list(self.sim.servers.values())[:SAMPLE_COUNT]
        return tuple((s.name, s.id) for s in servers)

    def auth(self) -> httpx.Auth:
        """AK/SK signing with this simulator's credentials, sending its project id."""
        return AkSkAuth(self._access_key, self._secret_key, self.project_id)

    async def aclose(self) -> None:
        await self.running.close()

"""The simulator the bot runs in-process when ``BMS_SIMULATOR=true``, so teams can try the Slack
flow before wiring Huawei Cloud credentials.

It listens on a free loopback port with throwaway AK/SK made up at start, and hands the bot a
matching ``auth()``; nothing outside the process can sign requests for it.
"""

from __future__ import annotations

import secrets

import httpx

from bot.bms.signing import AkSkAuth
from bot.simulator.runner import RunningSimulator, start_simulator
from bot.simulator.state import Simulator

EMBEDDED_PROJECT_ID = "51a0000000000000000000000000beef"


class EmbeddedSimulator:
    """A running simulator plus the credentials to call it."""

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
        sim.seed(servers)
        return cls(await start_simulator(sim, host, port), access_key, secret_key)

    @property
    def sim(self) -> Simulator:
        return self.running.sim

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def project_id(self) -> str:
        return self.sim.project_id

    def samples(self, count: int = 3) -> tuple[tuple[str, str], ...]:
        """(name, id) of the first few servers, for the help message."""
        servers = list(self.sim.servers.values())[:count]
        return tuple((s.name, s.id) for s in servers)

    def auth(self) -> httpx.Auth:
        """AK/SK signing with this simulator's credentials, sending its project id."""
        return AkSkAuth(self._access_key, self._secret_key, self.project_id)

    async def close(self) -> None:
        await self.running.close()

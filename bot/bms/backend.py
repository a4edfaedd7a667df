"""What the bot's BMS client talks to: a base URL, a project, and how to sign for it.

The runtime is handed one of these and never asks what is behind it: Huawei Cloud itself
(``bot.backends.HuaweiCloud``) or a stand-in such as the simulator package, which says so with
``simulated`` so that every message can carry the simulator banner.
"""

from __future__ import annotations

from typing import Protocol

import httpx


class CloudBackend(Protocol):
    """Where BMS calls go; ``aclose()`` releases whatever the backend runs (a local server)."""

    @property
    def base_url(self) -> str: ...

    @property
    def project_id(self) -> str: ...

    @property
    def simulated(self) -> bool:
        """True for a stand-in: no real servers are affected, and messages say so."""
        ...

    @property
    def samples(self) -> tuple[tuple[str, str], ...]:
        """(name, id) of a few servers to try the bot on; empty for a real cloud."""
        ...

    def auth(self) -> httpx.Auth: ...

    async def aclose(self) -> None: ...

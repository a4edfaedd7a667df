"""Choosing the cloud backend: Huawei Cloud from the settings, or the simulator package.

The simulator is its own top-level package and the bot never imports it: it registers itself
under the ``bms_bot.simulator`` entry points (see ``pyproject.toml``) and is looked up by name,
so a deployment without it still runs, and says plainly what is missing if it is asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import cast

import httpx

from bot.bms.backend import CloudBackend
from bot.bms.signing import AkSkAuth
from bot.bms.token_auth import IamTokenAuth
from bot.logs import redact_everywhere
from bot.settings import Settings

SIMULATOR_GROUP = "bms_bot.simulator"
StartSimulator = Callable[[int], Awaitable[CloudBackend]]
ServeSimulator = Callable[[str, int, int], None]


class BackendUnavailable(Exception):
    """The configured backend cannot be used; the message says why and what to do."""


def cloud_auth(settings: Settings) -> httpx.Auth:
    """AK/SK signing when both keys are set, else IAM-token auth (the settings require one)."""
    ak, sk = settings.huaweicloud_sdk_ak, settings.huaweicloud_sdk_sk
    project = settings.huaweicloud_sdk_project_id or ""
    if ak is not None and sk is not None:
        return AkSkAuth(ak.get_secret_value(), sk.get_secret_value(), project)
    password = settings.huaweicloud_iam_password
    return IamTokenAuth(
        iam_base_url=settings.iam_base_url,
        username=settings.huaweicloud_iam_username or "",
        password=password.get_secret_value() if password else "",
        domain=settings.huaweicloud_iam_domain or "",
        project_id=project,
        on_token=redact_everywhere,
    )


@dataclass(frozen=True, slots=True)
class HuaweiCloud:
    """The real thing: the region's (or ``BMS_ENDPOINT``'s) BMS API with the configured auth."""

    settings: Settings
    simulated: bool = False
    samples: tuple[tuple[str, str], ...] = ()

    @property
    def base_url(self) -> str:
        return self.settings.bms_base_url

    @property
    def project_id(self) -> str:
        return self.settings.huaweicloud_sdk_project_id or ""

    def auth(self) -> httpx.Auth:
        return cloud_auth(self.settings)

    async def aclose(self) -> None:
        """Nothing to release: the BMS client owns its connections."""


def simulator_entry(name: str) -> object:
    """The simulator's registered ``name`` (``embedded`` or ``serve``), loaded by entry point."""
    found = entry_points(group=SIMULATOR_GROUP, name=name)
    if not found:
        raise BackendUnavailable(
            "the BMS simulator is not installed with this bms-bot (no "
            f"'{SIMULATOR_GROUP}' entry point named '{name}'). Run `make run` from a checkout, "
            "or set BMS_SIMULATOR=false and configure Huawei Cloud."
        )
    return next(iter(found)).load()


async def open_backend(settings: Settings) -> CloudBackend:
    """The backend the settings ask for; the simulator starts here and runs until ``aclose()``."""
    if not settings.bms_simulator:
        return HuaweiCloud(settings)
    start = cast("StartSimulator", simulator_entry("embedded"))
    return await start(settings.bms_simulator_servers)

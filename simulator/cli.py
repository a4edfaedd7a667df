"""``bms-bot simulator``: serve a stand-alone simulator and print the settings a bot needs for it.

Its credentials are fixed and public (it is a local fake): the AK/SK below and an IAM user, so a
bot in another process or container can use either AK/SK or token authentication.
"""

from __future__ import annotations

import asyncio
import contextlib

from simulator.runner import serve_forever
from simulator.state import Simulator

PROJECT_ID = "0123456789abcdef0123456789abcdef"
ACCESS_KEY = "SIMULATOR_AK"
SECRET_KEY = "SIMULATOR_SK"  # noqa: S105  # a public, fixed credential of a local fake
IAM_USER = IAM_DOMAIN = "simulator"
IAM_PASSWORD = "simulator"  # noqa: S105  # as above


def build_simulator(servers: int) -> Simulator:
    """The stand-alone simulator with its fixed credentials and ``servers`` ACTIVE servers."""
    sim = Simulator(
        PROJECT_ID,
        ACCESS_KEY,
        SECRET_KEY,
        iam_user=IAM_USER,
        iam_password=IAM_PASSWORD,
        iam_domain=IAM_DOMAIN,
    )
    sim.seed(servers)
    return sim


def settings_hint(url: str) -> str:
    """The environment a bot needs to use the simulator at ``url``."""
    return "\n".join(
        [
            f"BMS simulator listening on {url}. Point a bot at it with:",
            f"  BMS_ENDPOINT={url}",
            f"  HUAWEICLOUD_SDK_PROJECT_ID={PROJECT_ID}",
            f"  HUAWEICLOUD_SDK_AK={ACCESS_KEY}",
            f"  HUAWEICLOUD_SDK_SK={SECRET_KEY}",
            f"  (or IAM: HUAWEICLOUD_IAM_ENDPOINT={url}, user/password/domain {IAM_USER})",
        ]
    )


def run_simulator(host: str, port: int, servers: int) -> None:
    """Serve until Ctrl-C."""
    sim = build_simulator(servers)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(sim, host, port, on_ready=lambda url: print(settings_hint(url))))

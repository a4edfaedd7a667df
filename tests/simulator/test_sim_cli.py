"""The stand-alone simulator behind `bms-bot simulator`."""

from __future__ import annotations

import asyncio

import httpx

from bot.bms.signing import AkSkAuth
from simulator import serve_forever
from simulator.cli import ACCESS_KEY, PROJECT_ID, SECRET_KEY, build_simulator, settings_hint


def test_settings_hint_names_the_bot_settings() -> None:
    """Prints the environment variables that point a bot at the simulator."""
    hint = settings_hint("http://127.0.0.1:8788")
    assert "BMS_ENDPOINT=http://127.0.0.1:8788" in hint
    assert f"HUAWEICLOUD_SDK_PROJECT_ID={PROJECT_ID}" in hint
    assert f"HUAWEICLOUD_SDK_AK={ACCESS_KEY}" in hint
    assert f"HUAWEICLOUD_SDK_SK={SECRET_KEY}" in hint


async def test_printed_credentials_work() -> None:
    """Accepts requests signed with the credentials it prints."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_forever(build_simulator(3), "127.0.0.1", 0, on_ready=ready.set_result)
    )
    try:
        url = await ready
        auth = AkSkAuth(ACCESS_KEY, SECRET_KEY, PROJECT_ID)
        async with httpx.AsyncClient(base_url=url, auth=auth) as http:
            response = await http.get(f"/v1/{PROJECT_ID}/baremetalservers/detail")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert response.json()["count"] == 3

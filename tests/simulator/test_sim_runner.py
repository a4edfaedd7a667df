"""Starting and stopping the simulator on a real port."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from sim_support import AK, DETAIL, PROJECT, SK

from bot.bms.signing import AkSkAuth
from simulator import Simulator, serve_forever, start_simulator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_port_zero_reports_the_real_port() -> None:
    """Picks a free port for port 0 and reports it in .url, which then answers."""
    sim = Simulator(PROJECT, AK, SK)
    sim.seed(3)
    running = await start_simulator(sim)
    try:
        assert running.url.startswith("http://127.0.0.1:")
        assert not running.url.endswith(":0")
        async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, SK)) as http:
            assert (await http.get(DETAIL)).json()["count"] == 3
    finally:
        await running.close()


async def test_close_stops_listening() -> None:
    """Refuses connections once closed."""
    async with await start_simulator(Simulator(PROJECT, AK, SK)) as running:
        url = running.url
    async with httpx.AsyncClient(base_url=url) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(DETAIL)


async def test_serve_forever_serves_until_cancelled() -> None:
    """Serves on the given port, reports its URL when ready, and frees the port when cancelled."""
    port = _free_port()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    sim = Simulator(PROJECT, AK, SK)
    task = asyncio.create_task(serve_forever(sim, "127.0.0.1", port, on_ready=ready.set_result))
    url = await ready
    assert url == f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/nowhere")).status_code == 404
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(httpx.ConnectError):
            await http.get("/nowhere")

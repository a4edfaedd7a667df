"""The real ``bms-bot`` console script as a child process, for tests that kill and restart it.

The process gets a clean environment (nothing from the developer's shell or a ``.env`` leaks in)
and runs in its own directory; its stderr (the JSON logs) goes to a file that assertion messages
quote, so a failure shows what the bot said.

    proc = BotProcess.start(env, tmp_path, "first")
    await proc.wait_healthy()
    proc.kill()
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from tests.fakes.slack_requests import SIGNING_SECRET
from tests.support.harness import AK, PROJECT, SK

BMS_BOT = Path(sys.executable).parent / "bms-bot"
TAIL_LINES = 40


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; the bot binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(
    slack_api_url: str, bms_url: str, db_file: Path, port: int, **extra: str
) -> dict[str, str]:
    """Everything the bot reads, in HTTP mode against the fakes; ``extra`` adds or overrides."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "BMS_ENDPOINT": bms_url,
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
        "BMS_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}",
        "BMS_POLL_INTERVAL": "0.1",
        "BMS_STOP_CALLS_PER_MINUTE": "60000",
        "BMS_RECONCILE_SECONDS": "2",
        "BMS_PROGRESS_INTERVAL": "0",
        "LOG_FORMAT": "json",
    }
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """One ``bms-bot`` process and the file its logs go to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    _log: IO[bytes]

    @classmethod
    def start(cls, env: dict[str, str], cwd: Path, name: str) -> BotProcess:
        log_path = cwd / f"{name}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [str(BMS_BOT), "run"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return cls(process, log_path, int(env["PORT"]), log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = TAIL_LINES) -> str:
        text = self.logs().splitlines()[-lines:]
        return f"--- last {len(text)} log lines of {self.log_path.name} ---\n" + "\n".join(text)

    async def health(self) -> dict[str, Any] | None:
        """The /healthz answer, or None while the bot is not listening yet."""
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=1) as client:
                response = await client.get("/healthz")
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    async def wait_healthy(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until /healthz answers; fail with the logs if the process dies or never answers."""
        deadline = time.monotonic() + timeout
        while await self.health() is None:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"bms-bot exited with {self.process.returncode}\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"bms-bot not healthy within {timeout}s\n{self.tail()}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine or container dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    async def terminate(self) -> None:
        """Cleanup for finally blocks: SIGTERM, then SIGKILL if the bot lingers for 5 s."""
        if self.process.poll() is None:
            self.process.terminate()
        # Polled, not waited on: the fakes the bot may still be talking to share this event loop.
        for _ in range(100):
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        self.kill()


async def audit_verify(db_file: Path) -> tuple[int | None, str]:
    """Run ``bms-bot audit verify`` on a SQLite database file: its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        str(BMS_BOT),
        "audit",
        "verify",
        env={"PATH": "", "BMS_DATABASE_URL": f"sqlite:///{db_file}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode()

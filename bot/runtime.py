"""Starting and stopping the whole bot: database, clients, scheduler, and the Slack connection."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_app, create_slack_client
from bot.bms.client import BmsClient
from bot.bms.signing import AkSkAuth
from bot.bms.token_auth import IamTokenAuth
from bot.deps import Deps
from bot.flow.poll import poll_request
from bot.flow.recovery import housekeeping, resume_all
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.simulator.embedded import EmbeddedSimulator
from bot.slack.poster import Poster
from bot.slack.throttle import ProgressGate
from bot.store.engine import create_schema, make_engine
from bot.store.repo import Store
from bot.watcher import Watcher

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do."""


EVENTS_PATH = "/slack/events"
DEPS_KEY = web.AppKey("deps", Deps)


def cloud_auth(settings: Settings) -> httpx.Auth:
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
    )


async def build_deps(settings: Settings, simulator: EmbeddedSimulator | None = None) -> Deps:
    engine = make_engine(settings.bms_database_url)
    try:
        await create_schema(engine)
    except (OSError, SQLAlchemyError) as exc:
        scheme = settings.bms_database_url.split("://")[0]
        detail = str(exc.args[0]) if exc.args else type(exc).__name__
        raise StartupError(
            f"cannot open the database ({scheme}): {detail}\n"
            "Check BMS_DATABASE_URL and that the database server is running."
        ) from exc
    retry = RetryPolicy(
        attempts=settings.bms_retry_attempts,
        max_seconds=settings.bms_retry_max_seconds,
        base_delay=settings.bms_retry_base_delay,
    )
    if simulator is not None:
        base_url, project, auth = simulator.url, simulator.project_id, simulator.auth()
    else:
        base_url = settings.bms_base_url
        project, auth = settings.huaweicloud_sdk_project_id or "", cloud_auth(settings)
    bms = BmsClient.create(base_url, project, auth, timeout=settings.bms_http_timeout, retry=retry)
    return Deps(
        settings=settings,
        bms=bms,
        store=Store(engine),
        poster=Poster(
            create_slack_client(settings),
            create_slack_client(settings, wait_when_limited=False),
        ),
        watcher=Watcher(settings.bms_poll_interval),
        progress=ProgressGate(settings.bms_progress_interval),
        simulated=simulator is not None,
        sample_servers=simulator.samples() if simulator is not None else (),
    )


async def _check_slack_token(deps: Deps) -> None:
    """Fail fast on a wrong token instead of failing every command later."""
    try:
        await deps.poster.client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        raise StartupError(
            f"Slack rejected SLACK_BOT_TOKEN ({error}). Check the token (xoxb-…) and "
            "SLACK_API_URL, or run `bms-bot check`."
        ) from exc
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise StartupError(
            f"cannot reach Slack at {deps.settings.slack_api_url} ({type(exc).__name__}: {exc}). "
            "Check the network, any proxy, and SLACK_API_URL."
        ) from exc


async def _check_app_token(app: AsyncApp, token: str) -> None:
    """The SDK retries a refused app token forever; refuse to start instead, and say why."""
    try:
        await app.client.apps_connections_open(app_token=token)
    except SlackApiError as exc:
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): use an app-level "
            "token (xapp-…) with connections:write, and turn Socket Mode on for the app."
        ) from exc


async def health(request: web.Request) -> web.Response:
    deps = request.app[DEPS_KEY]
    try:
        await deps.store.get_request("healthz")
    except Exception as exc:
        return web.json_response({"ok": False, "database": type(exc).__name__}, status=503)
    return web.json_response({"ok": True, "watching": len(deps.watcher.watching())})


@dataclass
class Runtime:
    """A running bot; ``start`` and ``stop`` are all the entry point and the tests need."""

    settings: Settings
    deps: Deps | None = None
    app: AsyncApp | None = None
    simulator: EmbeddedSimulator | None = None
    port: int | None = None
    _runner: web.AppRunner | None = None
    _socket: AsyncSocketModeHandler | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        if self.settings.bms_simulator:
            self.simulator = await EmbeddedSimulator.start(self.settings.bms_simulator_servers)
            for server in self.simulator.sim.servers.values():
                log.info(
                    "simulated server", extra={"server_name": server.name, "server_id": server.id}
                )
        deps = self.deps = await build_deps(self.settings, self.simulator)
        await _check_slack_token(deps)
        self.app = create_app(deps)

        async def poll(request_id: str) -> None:
            await poll_request(deps, request_id)

        async def tidy() -> None:
            await housekeeping(deps)

        deps.watcher.start(poll, tidy)
        await resume_all(deps)
        await self._serve(deps, self.app)
        log.info(
            "bms-bot started",
            extra={
                "mode": "socket" if self.settings.socket_mode else "http",
                "port": self.port,
                "simulated": deps.simulated,
            },
        )

    async def _serve(self, deps: Deps, app: AsyncApp) -> None:
        web_app = web.Application() if self.settings.socket_mode else app.web_app(EVENTS_PATH)
        web_app[DEPS_KEY] = deps
        web_app.router.add_get("/healthz", health)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.settings.socket_mode and self.settings.slack_app_token:
            token = self.settings.slack_app_token.get_secret_value()
            await _check_app_token(app, token)
            self._socket = AsyncSocketModeHandler(app, token)
            # From here the SDK reconnects by itself (network drops, Slack's refreshes).
            await self._socket.connect_async()  # type: ignore[no-untyped-call]  # untyped in Bolt

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # Bolt leaves it untyped
        if self._runner is not None:
            await self._runner.cleanup()
        if self.deps is not None:
            await self.deps.watcher.shutdown()
            await self.deps.bms.aclose()
            await self.deps.store.engine.dispose()
        if self.simulator is not None:
            await self.simulator.close()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly."""
    runtime = Runtime(settings)
    try:
        await runtime.start()
    except BaseException:
        await runtime.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await runtime.stop()

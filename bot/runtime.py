"""Starting and stopping the whole bot: database, clients, scheduler, and the Slack connection.

The runtime is handed a cloud backend (``bot/bms/backend.py``), or opens the one the settings
name (``bot/backends.py``); it never knows what is behind it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.app import create_app
from bot.backends import BackendUnavailable, open_backend
from bot.bms.backend import CloudBackend
from bot.bms.client import BmsClient
from bot.commands import Commands
from bot.core.clock import Timing
from bot.core.schedule import Scheduling
from bot.deps import Deps
from bot.http import web_app
from bot.logs import set_role
from bot.policy.load import PolicyError, load_policy
from bot.policy.model import Policy
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.slack.clients import create_slack_client
from bot.slack.directory import Directory
from bot.slack.edit_gate import ProgressGate
from bot.slack.poster import Poster, SlackFailure, SlackUnreachable, slack_call
from bot.stops.service import StopService
from bot.store import DatabaseUnavailable, Store, open_store
from bot.store.leadership import Leadership
from bot.store.pacing import Turns
from bot.watcher import Watcher

log = logging.getLogger(__name__)


HAND_OVER_SECONDS = 2.0  # for a poll running at SIGTERM to finish before the lock is given up
DRAIN_MARGIN_SECONDS = 5.0  # past one HTTP timeout, for a stop call already sent to answer


def replica_id() -> str:
    """This process among the replicas, written on the stop calls it claims: host, pid and a
    random tail (a restarted pod keeps its host name and may reuse a pid)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do."""


async def _open_store(settings: Settings) -> Store:
    """The store, held for this process alone when it is a SQLite file."""
    try:
        store = await open_store(settings.bms_database_url)
    except DatabaseUnavailable as exc:
        raise StartupError(
            f"{exc}\nCheck BMS_DATABASE_URL and that the database server is running."
        ) from exc
    try:
        store.hold_alone()
    except DatabaseUnavailable as exc:
        await store.close()
        raise StartupError(str(exc)) from exc
    return store


def load_policy_of(settings: Settings) -> Policy | None:
    """The policy ``BMS_POLICY_FILE`` names (``StartupError`` naming every mistake), or None."""
    if settings.bms_policy_file is None:
        log.warning(
            "no policy is set (BMS_POLICY_FILE): every full member of the workspace may stop "
            "servers in any channel the bot is in; guests, bots and deactivated accounts may not"
        )
        return None
    try:
        return load_policy(settings.bms_policy_file)
    except PolicyError as exc:
        raise StartupError(str(exc)) from exc


def build_deps(
    settings: Settings, backend: CloudBackend, store: Store, policy: Policy | None = None
) -> Deps:
    """Everything the listeners and the scheduled jobs use, wired once."""
    retry = RetryPolicy(
        attempts=settings.bms_retry_attempts,
        max_seconds=settings.bms_retry_max_seconds,
        base_delay=settings.bms_retry_base_delay,
    )
    bms = BmsClient.create(
        backend.base_url,
        backend.project_id,
        backend.auth(),
        timeout=settings.bms_http_timeout,
        retry=retry,
        job_queries_per_minute=settings.bms_job_queries_per_minute,
    )
    poster = Poster(
        create_slack_client(settings),
        create_slack_client(settings, wait_when_limited=False),
        posting=create_slack_client(settings, retry_connections=False),
        edits=ProgressGate(settings.bms_progress_interval),
        simulated=backend.simulated,
    )
    watcher = Watcher(settings.bms_poll_interval)
    timing = Timing.of(
        confirm_ttl=settings.bms_confirm_ttl,
        job_timeout=settings.bms_job_timeout,
        http_timeout=settings.bms_http_timeout,
        retry_budget=settings.bms_retry_max_seconds,
        reconcile_window=settings.bms_reconcile_seconds,
        poll_interval=settings.bms_poll_interval,
        job_queries_per_minute=settings.bms_job_queries_per_minute,
    )
    wanted = policy is not None and bool(policy.group_refs())
    directory = Directory(poster.client, wanted=wanted)
    scheduling = Scheduling(
        reminders=settings.bms_reminders,
        grace=settings.bms_schedule_grace,
        horizon_days=max(1, int(settings.bms_schedule_horizon // 86400)),
    )
    stops = StopService(
        bms, store, poster, watcher, timing, directory,
        policy=policy, scheduling=scheduling, replica=replica_id(),
        turns=Turns(store.db, "stop", settings.bms_stop_calls_per_minute),
    )  # fmt: skip
    commands = Commands(stops, bms, store.requests, poster, backend.samples)
    leadership = Leadership(store.engine, settings.bms_leader_timeout)
    return Deps(settings, bms, store, poster, watcher, stops, commands, directory, leadership)


async def _check_slack_token(deps: Deps) -> None:
    """Fail fast on a wrong token instead of failing every command later."""
    try:
        answer = await slack_call(deps.poster.client.auth_test())
    except SlackUnreachable as exc:
        raise StartupError(
            f"cannot reach Slack at {deps.settings.slack_api_url} ({exc.detail}). "
            "Check the network, any proxy, and SLACK_API_URL."
        ) from exc
    except SlackFailure as exc:
        raise StartupError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.error}). Check the token (xoxb-…) and "
            "SLACK_API_URL, or run `bms-bot check`."
        ) from exc
    url = answer.get("url")
    deps.poster.workspace_url = url if isinstance(url, str) and url.startswith("https://") else None


async def _check_app_token(app: AsyncApp, token: str) -> None:
    """The SDK retries a refused app token forever; refuse to start instead, and say why."""
    try:
        await app.client.apps_connections_open(app_token=token)
    except SlackApiError as exc:
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): use an app-level "
            "token (xapp-…) with connections:write, and turn Socket Mode on for the app."
        ) from exc


async def _read_groups(deps: Deps, policy: Policy | None) -> None:
    """Read the user groups before serving, and warn about those the policy names but Slack
    does not know (a typo, a deleted group): they let nobody in."""
    if not deps.directory.wanted or policy is None:
        return
    if not await deps.directory.refresh():
        log.warning("user groups unreadable at start; requests naming them wait for the next read")
        return
    unknown = deps.directory.groups.unknown(policy.group_refs())
    if unknown:
        log.warning("the policy names user groups Slack does not know", extra={"groups": unknown})


@dataclass
class Runtime:
    """A running bot; ``start`` and ``stop`` are all the entry point and the tests need."""

    settings: Settings
    backend: CloudBackend | None = None  # None: the one the settings name, opened at start
    deps: Deps | None = None
    app: AsyncApp | None = None
    port: int | None = None
    _owns_backend: bool = False
    _runner: web.AppRunner | None = None
    _socket: AsyncSocketModeHandler | None = None

    async def start(self) -> None:
        if self.backend is None:
            try:
                self.backend = await open_backend(self.settings)
            except BackendUnavailable as exc:
                raise StartupError(str(exc)) from exc
            self._owns_backend = True
        policy = load_policy_of(self.settings)
        store = await _open_store(self.settings)
        deps = self.deps = build_deps(self.settings, self.backend, store, policy)
        await _check_slack_token(deps)
        self.app = create_app(deps)
        await _read_groups(deps, policy)
        stops, watcher = deps.stops, deps.watcher
        watcher.start(stops.tick, stops.housekeeping, stops.wake, stops.sweep, leading=False)
        if deps.directory.wanted:
            watcher.every("groups", self.settings.bms_groups_refresh, deps.directory.refresh)
        await deps.leadership.start(self._lead, self._follow)
        set_role(str(deps.leadership.role))
        await self._serve(deps, self.app)
        log.info(
            "bms-bot started",
            extra={
                "mode": self.settings.slack_mode,
                "port": self.port,
                "simulated": self.backend.simulated,
            },
        )

    async def _lead(self) -> None:
        """This replica runs the scheduled work now: its clock from the rows."""
        assert self.deps is not None
        set_role(str(self.deps.leadership.role))
        metrics.LEADER_CHANGES.inc()
        self.deps.watcher.lead()
        await self.deps.stops.resume_all()

    def _follow(self) -> None:
        """Another replica leads: no poll, alarm or housekeeping here from this moment."""
        assert self.deps is not None
        self.deps.watcher.follow()
        set_role(str(self.deps.leadership.role))
        metrics.LEADER_CHANGES.inc()

    async def _slack_state(self) -> str:
        """How Slack reaches the bot now, for ``/readyz``."""
        if self.settings.socket_app_token is None:
            return "http"  # Slack calls us: nothing to hold open
        connected = self._socket is not None and await self._socket.client.is_connected()
        return "connected" if connected else "connecting"

    async def _serve(self, deps: Deps, app: AsyncApp) -> None:
        token = self.settings.socket_app_token
        self._runner = web.AppRunner(web_app(deps, app, self._slack_state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if token:
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
            # Hand the scheduled work over first: the next leader need not wait for the drain.
            await self.deps.watcher.hand_over(HAND_OVER_SECONDS)
            await self.deps.leadership.stop()
            # Nothing new arrives now; work after an ack and stop calls on their way may finish
            # before the clients and the store close.
            within = self.settings.bms_http_timeout + DRAIN_MARGIN_SECONDS
            if not await self.deps.settle(within):
                log.warning("shutting down with listener work still running")
            await self.deps.stops.drain(within)
            await self.deps.watcher.shutdown()
            set_role(None)
            await self.deps.bms.aclose()
            await self.deps.store.close()
        if self.backend is not None and self._owns_backend:
            self._owns_backend = False
            await self.backend.aclose()


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

"""The bot's HTTP server: ``POST /slack/events`` behind the inbound checks, ``GET /healthz``
(the process answers) and ``GET /readyz`` (it can do its work: the database takes writes, the
Slack connection is up).

In HTTP mode every request is checked (``bot/slack/inbound.py``) before Bolt parses it: a bad
signature or timestamp is answered 401, a malformed payload 400, each with one log line. In
Socket Mode only the two probes are served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot import metrics
from bot.core.lifecycle import RequestState
from bot.deps import Deps
from bot.slack.inbound import Refusal, check_shape, check_signature
from bot.store import DatabaseUnavailable

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_TIMEOUT_SECONDS = 3.0
DEPS_KEY = web.AppKey("deps", Deps)
SlackState = Callable[[], Awaitable[str]]  # "connected", "connecting", or "http" (Slack calls us)
SLACK_KEY: web.AppKey[SlackState] = web.AppKey("slack_state")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refused(refusal: Refusal) -> web.Response:
    if refusal.skew_seconds is not None:
        log.warning(
            "Slack request refused: this machine's clock is off by %.0f seconds; fix the clock "
            "(NTP), or every request will be refused",
            refusal.skew_seconds,
            extra={"skew_s": round(refusal.skew_seconds, 1)},
        )
    else:
        log.warning("Slack request refused: %s", refusal.reason, extra={"status": refusal.status})
    return web.Response(status=refusal.status, text=refusal.reason)


def events_handler(
    app: AsyncApp, signing_secret: str, clock: Callable[[], float] = time.time
) -> Handler:
    """Check the request, then hand it to Bolt."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        refusal = check_signature(signing_secret, request.headers, body, clock())
        refusal = refusal or check_shape(request.headers.get("Content-Type", ""), body)
        if refusal is not None:
            return _refused(refusal)
        try:
            bolt_request = await to_bolt_request(request)
        except Exception as exc:  # Bolt could not read what passed our checks: still a bad request
            return _refused(Refusal(400, f"payload Bolt cannot read ({type(exc).__name__})"))
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


async def health(request: web.Request) -> web.Response:
    """Alive: the process answers, after its start-up recovery (what it watches, its role)."""
    deps = request.app[DEPS_KEY]
    role = str(deps.leadership.role)
    return web.json_response({"ok": True, "watching": len(deps.watcher.watching()), "role": role})


async def ready(request: web.Request) -> web.Response:
    """200 while the database takes writes and the Slack connection is up; 503 with the reason
    otherwise, within a few seconds (a write stuck behind a lock is left to finish alone)."""
    deps = request.app[DEPS_KEY]
    slack = await request.app[SLACK_KEY]()
    answer: dict[str, object] = {"role": str(deps.leadership.role), "slack": slack}
    probe = asyncio.ensure_future(deps.store.ping(deps.stops.now()))
    done, _ = await asyncio.wait({probe}, timeout=HEALTH_TIMEOUT_SECONDS)
    if not done:
        probe.add_done_callback(_forget)
        reason = f"no write within {HEALTH_TIMEOUT_SECONDS:g} s (locked, or the disk is stuck)"
        return web.json_response(answer | {"ok": False, "database": reason}, status=503)
    exc = probe.exception()
    if exc is not None:
        reason = str(exc) if isinstance(exc, DatabaseUnavailable) else type(exc).__name__
        return web.json_response(answer | {"ok": False, "database": reason}, status=503)
    ok = slack in ("connected", "http")
    return web.json_response(answer | {"ok": ok, "database": "ok"}, status=200 if ok else 503)


def _forget(probe: asyncio.Future[None]) -> None:
    """A probe nobody waits for any more: read its outcome so nothing is logged as lost."""
    if not probe.cancelled():
        probe.exception()


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus' text format: this replica's counters, and requests by state from the
    database (left as last read when the database does not answer in time)."""
    deps = request.app[DEPS_KEY]
    metrics.LEADER.set(1 if deps.leadership.role.leads else 0)
    try:
        counts = await asyncio.wait_for(
            deps.store.requests.count_by_state(), HEALTH_TIMEOUT_SECONDS
        )
    except (TimeoutError, DatabaseUnavailable):
        counts = None
    if counts is not None:
        for state in RequestState:
            metrics.REQUESTS.labels(state.value).set(counts.get(state.value, 0))
    body = generate_latest(metrics.REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def web_app(deps: Deps, app: AsyncApp, slack_state: SlackState) -> web.Application:
    """``/healthz``, ``/readyz`` and ``/metrics`` always; ``/slack/events`` in HTTP mode."""
    served = web.Application()
    served[DEPS_KEY] = deps
    served[SLACK_KEY] = slack_state
    served.router.add_get("/healthz", health)
    served.router.add_get("/readyz", ready)
    served.router.add_get("/metrics", metrics_page)
    secret = deps.settings.http_signing_secret
    if secret is not None:
        served.router.add_post(EVENTS_PATH, events_handler(app, secret))
    return served

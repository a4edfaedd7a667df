"""Socket Mode side of the fake Slack: the `/link/` WebSocket endpoint and envelope delivery.

Protocol as slack_sdk's aiohttp `SocketModeClient` expects it: the client gets
`ws://…/link/?ticket=…` from apps.connections.open, connects, receives `hello`, then answers each
envelope with `{"envelope_id": …, "payload"?: …}`. Slack gives the app 3 s to ack; so does
`send_envelope`, which also refuses a slash command ack whose payload is not a valid message
(Slack shows that payload to the user). Tickets are single-use (the SDK asks
apps.connections.open again on every reconnect). Pings are answered by aiohttp's autoping. With
several connections, each envelope goes to ONE of them chosen at random, as Slack does (seeded, so
runs are repeatable).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.slack_limits import check_message

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]
ACK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Ack:
    """The app's answer to one envelope and how long it took."""

    envelope_id: str
    type: str
    payload: dict[str, Any] | None
    latency: float


class NoSocketClient(AssertionError):
    """No Socket Mode client is connected to the fake."""


class EnvelopeNotAcked(AssertionError):
    """The app did not ack an envelope in time (Slack would show the user an error)."""


class InvalidAckPayload(AssertionError):
    """A slash command was acked with a message Slack would refuse to show."""


class SocketModeHub:
    """Accepts Socket Mode connections and delivers envelopes to them."""

    def __init__(self, app_id: str = "A123456", *, seed: int = 0) -> None:
        self.app_id = app_id
        self.envelopes: list[dict[str, Any]] = []
        self.acks: list[Ack] = []
        self.stray_messages: list[str] = []
        self._tickets: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Condition()
        self._random = random.Random(seed)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def issue_ticket(self) -> str:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for GET /link/?ticket=…"""
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json(self._hello())
        await self._set_connections([*self._connections, ws])
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            await self._set_connections([c for c in self._connections if c is not ws])
        return ws

    async def wait_connected(self, timeout: float = 5.0, count: int = 1) -> None:  # noqa: ASYNC109
        """Wait until at least `count` clients are connected, else raise NoSocketClient."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(self._connections) >= count)
        except TimeoutError:
            msg = f"{self.connection_count} Socket Mode client(s) connected after {timeout}s"
            raise NoSocketClient(f"{msg}; wanted {count}") from None

    async def send_envelope(
        self,
        type: EnvelopeType,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
    ) -> Ack:
        """Deliver one envelope to a connected client and wait for its ack."""
        if not self._connections:
            raise NoSocketClient(f"cannot send {type}: no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        self.envelopes.append(envelope)
        started = time.perf_counter()
        try:
            await self._random.choice(self._connections).send_json(envelope)
            answer = await asyncio.wait_for(future, ack_timeout)
        except TimeoutError:
            msg = f"{type} envelope {envelope_id} was not acked within {ack_timeout}s"
            raise EnvelopeNotAcked(msg) from None
        finally:
            self._pending.pop(envelope_id, None)
        ack = Ack(envelope_id, type, answer.get("payload"), time.perf_counter() - started)
        self.acks.append(ack)
        _check_ack_payload(ack)
        return ack

    async def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Ask every client to reconnect, as Slack does every few hours."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        for ws in list(self._connections):
            await ws.send_json(message)

    async def close(self) -> None:
        for ws in list(self._connections):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"fake slack closing")

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": len(self._connections) + 1,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        future = self._pending.get(envelope_id) if isinstance(envelope_id, str) else None
        if future is None or future.done():
            self.stray_messages.append(data)
            return
        future.set_result(message)

    async def _set_connections(self, connections: list[web.WebSocketResponse]) -> None:
        async with self._changed:
            self._connections = connections
            self._changed.notify_all()


def _check_ack_payload(ack: Ack) -> None:
    """Slack shows a slash command's ack payload to the user, so it must be a valid message.
    (Acks of clicks and events carry nothing Slack displays.)"""
    if ack.type != "slash_commands" or not ack.payload:
        return
    problem = check_message(ack.payload.get("text"), ack.payload.get("blocks"))
    if problem is not None:
        detail = "; ".join(problem.messages)
        raise InvalidAckPayload(f"slash command ack {ack.envelope_id}: {problem.error} {detail}")

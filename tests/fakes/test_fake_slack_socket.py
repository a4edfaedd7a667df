"""Tests of the fake Slack's Socket Mode endpoint with slack_sdk's real aiohttp client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_requests
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_socket import EnvelopeNotAcked, InvalidAckPayload, NoSocketClient


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def ack_empty(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
    await client.send_socket_mode_response(SocketModeResponse(request.envelope_id))


async def open_link(slack: FakeSlack) -> str:
    web = AsyncWebClient(base_url=slack.api_url, token=slack.app_token)
    return str((await web.apps_connections_open(app_token=slack.app_token))["url"])


async def test_socket_mode_client_receives_and_acks(slack: FakeSlack) -> None:
    """A real SocketModeClient connects, gets an envelope and its ack comes back with payload."""
    web = AsyncWebClient(base_url=slack.api_url)
    sm = SocketModeClient(app_token=slack.app_token, web_client=web, auto_reconnect_enabled=False)
    received: list[SocketModeRequest] = []

    async def listener(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await client.send_socket_mode_response(
            SocketModeResponse(request.envelope_id, {"text": "ok"})
        )

    sm.socket_mode_request_listeners.append(listener)
    try:
        await sm.connect()
        await slack.wait_connected(timeout=2)
        payload = slack_requests.slash_command_payload("stop i-1", response_url="http://x/")
        ack = await slack.send_envelope("slash_commands", payload)
    finally:
        await sm.close()
    assert ack.payload == {"text": "ok"}
    assert ack.latency < 3
    assert received[0].payload["command"] == "/bms"
    assert received[0].accepts_response_payload


async def test_invalid_slash_command_ack_is_refused(slack: FakeSlack) -> None:
    """A slash command acked with a message Slack would not show raises InvalidAckPayload."""
    url = await open_link(slack)
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()
        sending = asyncio.create_task(slack.send_envelope("slash_commands", {"text": "x"}))
        envelope = await ws.receive_json()
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "no fallback"}}]
        await ws.send_json({"envelope_id": envelope["envelope_id"], "payload": {"blocks": blocks}})
        with pytest.raises(InvalidAckPayload, match="no_text"):
            await sending


async def test_socket_mode_errors_are_clear(slack: FakeSlack) -> None:
    """No client raises NoSocketClient; a client that never acks raises EnvelopeNotAcked."""
    with pytest.raises(NoSocketClient):
        await slack.send_envelope("events_api", {})
    url = await open_link(slack)
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await ws.receive_json()
        assert hello["type"] == "hello"
        assert hello["connection_info"]["app_id"] == "A123456"
        with pytest.raises(EnvelopeNotAcked):
            await slack.socket.send_envelope("events_api", {}, ack_timeout=0.2)
        envelope = await ws.receive_json()
        assert envelope["accepts_response_payload"] is False


async def test_socket_mode_answers_pings_and_tickets_are_single_use(slack: FakeSlack) -> None:
    """The link endpoint pongs pings, and a ticket cannot open a second connection."""
    url = await open_link(slack)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, autoping=False) as ws:
            await ws.receive_json()
            await ws.ping(b"sdk-ping-pong:1")
            pong = await asyncio.wait_for(ws.receive(), 2)
            assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"sdk-ping-pong:1")
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_connections_open_needs_the_app_token(slack: FakeSlack) -> None:
    """apps.connections.open refuses a bot token like Slack does."""
    client = AsyncWebClient(base_url=slack.api_url)
    with pytest.raises(SlackApiError) as info:
        await client.apps_connections_open(app_token=slack.bot_token)
    assert info.value.response["error"] == "not_allowed_token_type"


async def test_disconnect_makes_the_sdk_client_reconnect(slack: FakeSlack) -> None:
    """A `disconnect` message sends the SDK client back to apps.connections.open for a new link."""
    web = AsyncWebClient(base_url=slack.api_url)
    sm = SocketModeClient(app_token=slack.app_token, web_client=web)
    sm.socket_mode_request_listeners.append(ack_empty)
    try:
        await sm.connect()
        await slack.wait_connected(timeout=2)
        await slack.socket.disconnect_all()
        await slack.wait_for(lambda: len(slack.calls_to("apps.connections.open")) == 2, timeout=5)
        await slack.wait_connected(timeout=2)
        ack = await slack.send_envelope("events_api", {"event": {}})
    finally:
        await sm.close()
    assert ack.payload is None

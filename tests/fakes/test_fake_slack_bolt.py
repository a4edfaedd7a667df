"""Bolt's AsyncApp against the fake: signed HTTP requests and Socket Mode both reach listeners."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_requests
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel(slack_requests.CHANNEL)
        yield fake


def bolt_request(signed: slack_requests.SignedRequest) -> AsyncBoltRequest:
    headers: dict[str, str | Sequence[str]] = dict(signed.headers)
    return AsyncBoltRequest(body=signed.body.decode(), headers=headers)


def build_app(slack: FakeSlack, **kwargs: Any) -> AsyncApp:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    app = AsyncApp(client=client, **kwargs)

    @app.command("/bms")
    async def bms(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"preview: {command['text']}")

    @app.action("bms_stop_confirm")
    async def confirm(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=body["channel"]["id"], text="stopping")

    return app


async def test_signed_http_requests_reach_bolt_listeners(slack: FakeSlack) -> None:
    """Bolt verifies the builders' signatures, calls auth.test, and the listeners reach the fake."""
    app = build_app(slack, signing_secret=slack_requests.SIGNING_SECRET)
    url = slack.new_response_url("commands")
    command = slack_requests.slash_command("stop i-1", response_url=url)
    response = await app.async_dispatch(bolt_request(command))
    assert response.status == 200
    click = slack_requests.block_action(
        "bms_stop_confirm",
        "req_1",
        response_url=slack.new_response_url("actions"),
        message_ts="1.1",
    )
    response = await app.async_dispatch(bolt_request(click))
    assert response.status == 200
    await slack.wait_for(lambda: bool(slack.responses and slack.messages))
    assert slack.responses[0].text == "preview: stop i-1"
    assert [m.text for m in slack.messages.values()] == ["stopping"]
    assert slack.calls_to("auth.test")


async def test_bad_signature_is_refused_by_bolt(slack: FakeSlack) -> None:
    """A request signed with another secret gets 401 and never reaches the fake."""
    app = build_app(slack, signing_secret=slack_requests.SIGNING_SECRET)
    forged = slack_requests.slash_command(
        "stop i-1", response_url=slack.new_response_url(), signing_secret="wrong"
    )
    response = await app.async_dispatch(bolt_request(forged))
    assert response.status == 401
    assert not slack.responses


async def test_socket_mode_handler_acks_through_the_fake(slack: FakeSlack) -> None:
    """Bolt's AsyncSocketModeHandler connects to the fake and acks a slash command envelope."""
    app = build_app(slack)
    handler = AsyncSocketModeHandler(app, slack.app_token)
    try:
        await handler.connect_async()
        await slack.wait_connected(timeout=5)
        payload = slack_requests.slash_command_payload(
            "stop i-2", response_url=slack.new_response_url()
        )
        ack = await slack.send_envelope("slash_commands", payload)
        await slack.wait_for(lambda: bool(slack.responses))
    finally:
        await handler.close_async()
    assert ack.latency < 3
    assert slack.responses[0].text == "preview: stop i-2"

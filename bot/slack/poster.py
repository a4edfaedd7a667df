"""Sending messages to Slack, with every way a call can fail turned into one exception tree.

    SlackFailure            Slack refused the call, or it failed on the way (``error`` names it;
    │                       ``transient``: worth trying again later; ``retry_after`` on a 429)
    └── NotInChannel        not_in_channel / channel_not_found: invite the bot

slack_sdk raises its own errors for Slack's answers but lets aiohttp's connection errors and
timeouts through; both kinds end here, so callers need one ``except SlackFailure``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.blocks.message import Message

log = logging.getLogger(__name__)
T = TypeVar("T")
NOT_IN_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
CALL_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)


class SlackFailure(Exception):
    def __init__(
        self, error: str, retry_after: float | None = None, *, transient: bool | None = None
    ) -> None:
        super().__init__(f"Slack refused the call: {error}")
        self.error = error
        self.retry_after = retry_after  # seconds, when Slack rate-limited the call
        self.transient = error in TRANSIENT_ERRORS if transient is None else transient


class NotInChannel(SlackFailure):
    """The bot cannot post here: it must be invited (private channel)."""


def _failure(exc: Exception) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        data, status = exc.response.data, exc.response.status_code
        if not isinstance(data, dict):  # e.g. an HTML 5xx page from a proxy or Slack itself
            return SlackFailure(f"http_{status}", transient=status >= 500)
        error = str(data.get("error", "unknown_error"))
        if error in NOT_IN_CHANNEL_ERRORS:
            return NotInChannel(error)
        headers = exc.response.headers
        retry_after = headers.get("retry-after") or headers.get("Retry-After")
        return SlackFailure(error, float(retry_after) if retry_after else None)
    # No answer from Slack (connection, timeout): the call may even have gone through.
    return SlackFailure(f"no answer ({type(exc).__name__})", transient=True)


async def _call(call: Awaitable[T]) -> T:
    try:
        return await call
    except CALL_FAILURES as exc:
        raise _failure(exc) from exc


class Poster:
    """The bot's voice: post, edit, whisper, and answer through response URLs."""

    def __init__(self, client: AsyncWebClient, impatient: AsyncWebClient | None = None) -> None:
        self.client = client
        # Same workspace, but a 429 fails at once instead of sleeping out Retry-After.
        self.impatient = impatient or client

    async def post(self, channel: str, message: Message, thread_ts: str | None = None) -> str:
        kwargs: dict[str, Any] = {"channel": channel, **message.as_kwargs()}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        response = await _call(self.client.chat_postMessage(**kwargs))
        return str(response["ts"])

    async def update(
        self, channel: str, ts: str, message: Message, *, best_effort: bool = False
    ) -> None:
        """Edit a message; ``best_effort`` edits (progress) give up on a 429 instead of waiting."""
        kwargs = {k: v for k, v in message.as_kwargs().items() if k != "metadata"}
        client = self.impatient if best_effort else self.client
        await _call(client.chat_update(channel=channel, ts=ts, **kwargs))

    async def whisper(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> None:
        """An ephemeral message to one person (optionally inside a thread)."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, **message.as_kwargs()}
        kwargs.pop("metadata", None)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        await _call(self.client.chat_postEphemeral(**kwargs))

    async def respond(self, response_url: str, message: Message, *, replace: bool) -> None:
        """Answer through a response URL (ephemeral; can replace the message it came from)."""
        body = {k: v for k, v in message.as_kwargs().items() if k != "metadata"}
        webhook = AsyncWebhookClient(response_url, timeout=10)
        payload = {**body, "response_type": "ephemeral", "replace_original": replace}
        response = await _call(webhook.send_dict(payload))
        if response.status_code != 200:
            raise SlackFailure(f"response_url answered {response.status_code}: {response.body}")

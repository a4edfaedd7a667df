"""Sending messages to Slack, with the failures people must hear about turned into exceptions.

SlackFailure            Slack refused or failed the call (``error`` is Slack's code)
└── NotInChannel        not_in_channel / channel_not_found / is_archived: invite the bot
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.blocks.message import Message

log = logging.getLogger(__name__)
NOT_IN_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class SlackFailure(Exception):
    def __init__(self, error: str, retry_after: float | None = None) -> None:
        super().__init__(f"Slack refused the call: {error}")
        self.error = error
        self.retry_after = retry_after  # seconds, when Slack rate-limited the call


class NotInChannel(SlackFailure):
    """The bot cannot post here: it must be invited (private channel) or the channel is gone."""


def _raise_for(exc: Exception) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error", "unknown_error"))
        if error in NOT_IN_CHANNEL_ERRORS:
            return NotInChannel(error)
        retry_after = exc.response.headers.get("retry-after") or exc.response.headers.get(
            "Retry-After"
        )
        return SlackFailure(error, float(retry_after) if retry_after else None)
    return SlackFailure(type(exc).__name__)


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
        try:
            response = await self.client.chat_postMessage(**kwargs)
        except (SlackApiError, SlackClientError) as exc:
            raise _raise_for(exc) from exc
        return str(response["ts"])

    async def update(
        self, channel: str, ts: str, message: Message, *, best_effort: bool = False
    ) -> None:
        """Edit a message; ``best_effort`` edits (progress) give up on a 429 instead of waiting."""
        kwargs = {k: v for k, v in message.as_kwargs().items() if k != "metadata"}
        client = self.impatient if best_effort else self.client
        try:
            await client.chat_update(channel=channel, ts=ts, **kwargs)
        except (SlackApiError, SlackClientError) as exc:
            raise _raise_for(exc) from exc

    async def whisper(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> None:
        """An ephemeral message to one person (optionally inside a thread)."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, **message.as_kwargs()}
        kwargs.pop("metadata", None)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        try:
            await self.client.chat_postEphemeral(**kwargs)
        except (SlackApiError, SlackClientError) as exc:
            raise _raise_for(exc) from exc

    async def respond(self, response_url: str, message: Message, *, replace: bool) -> None:
        """Answer through a response URL (ephemeral; can replace the message it came from)."""
        body = {k: v for k, v in message.as_kwargs().items() if k != "metadata"}
        webhook = AsyncWebhookClient(response_url, timeout=10)
        try:
            response = await webhook.send_dict(
                {**body, "response_type": "ephemeral", "replace_original": replace}
            )
        except Exception as exc:  # aiohttp raises many types; all mean "not delivered"
            raise SlackFailure(type(exc).__name__) from exc
        if response.status_code != 200:
            raise SlackFailure(f"response_url answered {response.status_code}: {response.body}")

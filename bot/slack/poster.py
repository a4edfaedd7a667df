"""The bot's voice in Slack: every message it sends goes out here, and so does its 429 policy.

    SlackFailure            Slack refused the call, or it failed on the way (``error`` names it;
    │                       ``transient``: worth trying again later; ``retry_after`` on a 429)
    ├── NotInChannel        not_in_channel / channel_not_found: invite the bot
    └── SlackUnreachable    no answer at all (refused, unknown host, proxy, timeout); the call
                            may even have gone through

slack_sdk raises its own errors for Slack's answers but lets aiohttp's connection errors and
timeouts through; both kinds end here, so callers need one ``except SlackFailure``.

Rate limits, all decided here: posts wait for their turn in the channel (``bot/slack/pacer.py``,
about one a second); posts, whispers and final edits use the patient client, which waits out
``Retry-After`` (``bot/slack/clients.py``); progress edits use the impatient one and the edit gate
(Tier 3 pacing; a 429 pauses every edit that can wait for its ``Retry-After``).

With a stand-in backend, every message leaves with the simulator banner, applied here once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import metrics
from bot.blocks.message import SIMULATOR_PREFIX, Message, with_simulator_banner
from bot.slack.edit_gate import ProgressGate
from bot.slack.pacer import ChannelPacer
from bot.slack.place import Place
from bot.slack.response_urls import ResponseUrls

log = logging.getLogger(__name__)
T = TypeVar("T")
NOT_IN_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
CALL_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError, OSError)
RESPONSE_URL_TIMEOUT = 10
LOOKBACK_SECONDS = 300  # how far before "now" to look for a post, for clocks that disagree


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


class SlackUnreachable(SlackFailure):
    """No answer from Slack; ``detail`` says how the connection failed."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"no answer ({kind})", transient=True)
        self.detail = f"{kind}: {detail}" if detail else kind


def _failure(exc: Exception) -> SlackFailure:
    if isinstance(exc, SlackApiError):
        data, status = exc.response.data, exc.response.status_code
        if status >= 500 or not isinstance(data, dict) or "error" not in data:
            # A 5xx, or an answer that is not Slack's JSON (slack_sdk reads an HTML page from a
            # proxy or Slack's edge as empty data): Slack did not decide anything, try again.
            return SlackFailure(f"http_{status}", transient=True)
        error = str(data["error"])
        if error in NOT_IN_CHANNEL_ERRORS:
            return NotInChannel(error)
        headers = exc.response.headers
        retry_after = headers.get("retry-after") or headers.get("Retry-After")
        return SlackFailure(error, float(retry_after) if retry_after else None)
    # No answer from Slack (connection, timeout): the call may even have gone through.
    return SlackUnreachable(type(exc).__name__, str(exc).strip())


async def slack_call(call: Awaitable[T]) -> T:
    """Await a Web API call; every way it can fail leaves as a ``SlackFailure``."""
    try:
        return await call
    except CALL_FAILURES as exc:
        failure = _failure(exc)
        metrics.SLACK_ERRORS.labels(failure.error).inc()
        if failure.retry_after is not None:
            metrics.SLACK_THROTTLED.inc()
        raise failure from exc


def _without_metadata(message: Message) -> dict[str, Any]:
    return {k: v for k, v in message.as_kwargs().items() if k != "metadata"}


class Poster:
    """Post, edit, whisper, and answer through response URLs; ``simulated`` adds the banner."""

    def __init__(
        self,
        client: AsyncWebClient,
        impatient: AsyncWebClient | None = None,
        *,
        edits: ProgressGate | None = None,
        simulated: bool = False,
        response_urls: ResponseUrls | None = None,
        pacer: ChannelPacer | None = None,
        posting: AsyncWebClient | None = None,
    ) -> None:
        self.client = client
        # Posts go through a client that never resends after a dropped connection (a resent post
        # can appear twice); "no answer" is handled here instead, by looking for the post.
        self.posting = posting or client
        self.response_urls = response_urls or ResponseUrls(str(client.base_url))
        # Same workspace, but a 429 fails at once instead of sleeping out Retry-After.
        self.impatient = impatient or client
        self.edits = edits or ProgressGate(0)
        self.simulated = simulated
        self.pacer = pacer or ChannelPacer()
        self.workspace_url: str | None = None  # from auth.test, for permalinks

    def channel_url(self, channel_id: str) -> str | None:
        if not self.workspace_url:
            return None
        return f"{self.workspace_url.rstrip('/')}/archives/{channel_id}"

    def permalink(
        self, channel_id: str, ts: str | None, thread_ts: str | None = None
    ) -> str | None:
        """A link to a message, in Slack's permalink form (no API call, no history scope)."""
        if not (self.workspace_url and ts):
            return None
        link = f"{self.workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return link

    def _out(self, message: Message) -> Message:
        return with_simulator_banner(message) if self.simulated else message

    def ack_kwargs(self, message: Message) -> dict[str, Any]:
        """Keyword arguments for Bolt's ``ack()``: an ephemeral answer within the 3 seconds."""
        return self._out(message).as_ack()

    async def post(self, channel: str, message: Message, thread_ts: str | None = None) -> str:
        """A public message (in a thread with ``thread_ts``); returns its ts."""
        kwargs: dict[str, Any] = {"channel": channel, **self._out(message).as_kwargs()}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        await self.pacer.wait(channel)  # Slack's one message a second per channel
        response = await slack_call(self.posting.chat_postMessage(**kwargs))
        return str(response["ts"])

    async def upload(
        self,
        channel: str,
        thread_ts: str,
        *,
        filename: str,
        title: str,
        content: bytes,
        comment: str,
    ) -> None:
        """Share a file in ``thread_ts``'s thread (Slack's external upload: reserve a URL, send
        the bytes, complete into the thread), paced like a post: it shows as one."""
        prefix = SIMULATOR_PREFIX if self.simulated else ""
        await self.pacer.wait(channel)
        await slack_call(
            self.posting.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                filename=filename,
                title=title,
                content=content,
                initial_comment=prefix + comment,
            )
        )

    async def find_file(
        self, channel: str, thread_ts: str, filename: str, *, since: float
    ) -> str | None:
        """The ts of a message in ``thread_ts``'s thread, posted after ``since``, sharing a file
        named ``filename``; None if there is none. ``SlackFailure`` if Slack cannot say."""
        for found in await self._posted_since(channel, thread_ts, since):
            if any(f.get("name") == filename for f in found.get("files") or []):
                return str(found["ts"])
        return None

    async def find_own(
        self,
        channel: str,
        event: str,
        payload: Mapping[str, object],
        *,
        thread_ts: str | None,
        since: float,
    ) -> str | None:
        """The ts of a message posted after ``since`` (epoch seconds, give or take the clocks)
        in ``channel`` (in ``thread_ts``'s thread) whose metadata is ``event`` with ``payload``
        among its fields; None if Slack has no such message. ``SlackFailure`` if it cannot say."""
        for found in await self._posted_since(channel, thread_ts, since):
            metadata = found.get("metadata") or {}
            fields = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event and all(
                fields.get(k) == v for k, v in payload.items()
            ):
                return str(found["ts"])
        return None

    async def _posted_since(
        self, channel: str, thread_ts: str | None, since: float
    ) -> list[dict[str, Any]]:
        """The messages of ``thread_ts``'s thread (or of the channel) from a little before
        ``since`` on, with their metadata."""
        oldest = f"{max(0.0, since - LOOKBACK_SECONDS):.6f}"
        if thread_ts:
            call = self.client.conversations_replies(
                channel=channel, ts=thread_ts, oldest=oldest, limit=200, include_all_metadata=True
            )
        else:
            call = self.client.conversations_history(
                channel=channel, oldest=oldest, limit=200, include_all_metadata=True
            )
        response = await slack_call(call)
        return list(response.get("messages") or [])

    async def update(
        self, channel: str, ts: str, message: Message, *, best_effort: bool = False
    ) -> None:
        """Edit a message; ``best_effort`` edits fail at once on a 429 instead of waiting."""
        client = self.impatient if best_effort else self.client
        kwargs = _without_metadata(self._out(message))
        await slack_call(client.chat_update(channel=channel, ts=ts, **kwargs))

    async def edit(
        self, channel: str, ts: str, message: Message, *, key: str, final: bool = False
    ) -> bool:
        """Edit a message within the edit budget; True if the edit went out. Never raises.

        Progress edits (``final`` False) are best effort: skipped when the gate says so, and a
        429 fails them at once and holds back every edit that can wait. A final edit always goes
        out, when the minute's edit budget has room for it, and waits out a 429: it is the state
        people will read afterwards.
        """
        if final:
            await self.edits.wait_final(key)
        elif not self.edits.allow(key):
            return False
        try:
            await self.update(channel, ts, message, best_effort=not final)
        except SlackFailure as exc:
            log.warning("message edit failed", extra={"error": exc.error, "final": final})
            if exc.retry_after:
                self.edits.hold(exc.retry_after)
            return False
        return True

    def forget_edits(self, key: str) -> None:
        """``key`` will not be edited again: drop its pacing state."""
        self.edits.forget(key)

    async def whisper(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> None:
        """An ephemeral message to one person (optionally inside a thread)."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user}
        kwargs |= _without_metadata(self._out(message))
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        await slack_call(self.client.chat_postEphemeral(**kwargs))

    async def respond(self, response_url: str, message: Message, *, replace: bool) -> None:
        """Answer through a response URL (ephemeral; can replace the message it came from);
        only Slack's own (``ResponseUrls``), never whatever a payload names."""
        if not self.response_urls.allows(response_url):
            raise SlackFailure("response_url_not_allowed", transient=False)
        body = _without_metadata(self._out(message))
        webhook = AsyncWebhookClient(response_url, timeout=RESPONSE_URL_TIMEOUT)
        payload = {**body, "response_type": "ephemeral", "replace_original": replace}
        response = await slack_call(webhook.send_dict(payload))
        if response.status_code != 200:
            raise SlackFailure(f"response_url answered {response.status_code}: {response.body}")

    async def tell(self, place: Place, message: Message, *, replace: bool = True) -> None:
        """Answer the person privately where they are: through the response URL when it is
        Slack's, else an ephemeral message in the channel."""
        url = place.response_url
        if url and self.response_urls.allows(url):
            await self.respond(url, message, replace=replace)
        else:
            if url:
                log.warning(
                    "ignored a response_url that is not Slack's", extra={"user": place.user_id}
                )
            await self.whisper(place.channel_id, place.user_id, message, thread_ts=place.thread_ts)

    async def tell_quietly(self, place: Place, message: Message) -> None:
        """``tell`` for paths that must go on whatever Slack says: a failure is logged."""
        try:
            await self.tell(place, message, replace=False)
        except SlackFailure as exc:
            log.error(
                "could not tell the person", extra={"user": place.user_id, "error": exc.error}
            )

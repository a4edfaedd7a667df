"""What the fake Slack remembers: recorded calls, messages, ephemerals, response_url posts, opened
views, and the sliding-window rate limiter.

Records are plain dataclasses so tests can assert on fields without knowing the wire format.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Per-method limits per workspace per minute, enforced by default only where the bot can plausibly
# exceed them: chat.update, called in bursts for progress edits (Tier 3, ~50/min), and the Tier 2
# (~20/min) group look-ups a policy check would otherwise make on every request, so a missing
# cache shows up as a 429. Tier 4 methods (users.info, views.open, ~100/min) are left unlimited.
DEFAULT_RATE_LIMITS: Mapping[str, int] = {
    "chat.update": 50,
    "usergroups.list": 20,
    "usergroups.users.list": 20,
}
RATE_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake received it (`args` has blocks JSON-decoded)."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        keys = ("channel", "ts", "thread_ts", "user")
        shown = " ".join(f"{k}={self.args[k]}" for k in keys if k in self.args)
        text = str(self.args.get("text", ""))[:60]
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method} {shown} text={text!r} -> {outcome}"


@dataclass(frozen=True)
class MessageVersion:
    """A previous content of an edited message."""

    text: str
    blocks: list[dict[str, Any]]


@dataclass
class PostedMessage:
    """Current state of a channel message (edits replace text/blocks and append to `history`)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    bot_id: str | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    history: list[MessageVersion] = field(default_factory=list)
    metadata: dict[str, Any] | None = None  # chat.postMessage's `metadata`, as given
    files: list[dict[str, Any]] | None = None  # shared by files.completeUploadExternal

    @property
    def edit_count(self) -> int:
        return len(self.history)

    def edit(self, text: str, blocks: list[dict[str, Any]]) -> None:
        self.history.append(MessageVersion(self.text, self.blocks))
        self.text, self.blocks = text, blocks

    def to_payload(self) -> dict[str, Any]:
        """The `message` object Slack embeds in block_actions payloads and API answers."""
        payload: dict[str, Any] = {"type": "message", "user": self.user, "ts": self.ts}
        if self.bot_id:
            payload["bot_id"] = self.bot_id
        payload["text"] = self.text
        payload["blocks"] = self.blocks
        if self.thread_ts:
            payload["thread_ts"] = self.thread_ts
        if self.files:
            payload["files"] = self.files
            payload["upload"] = True
        return payload

    def to_history(self, *, with_metadata: bool) -> dict[str, Any]:
        """As conversations.history and .replies list it (metadata only when asked for)."""
        payload = self.to_payload()
        if with_metadata and self.metadata is not None:
            payload["metadata"] = self.metadata
        return payload


@dataclass(frozen=True)
class Ephemeral:
    """A chat.postEphemeral message: only `user` saw it, and it can never be edited via the API."""

    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None


@dataclass(frozen=True)
class OpenedView:
    """A modal views.open accepted: the `view` as the app sent it and the `answer` Slack gave."""

    id: str
    trigger_id: str
    user: str | None  # who the trigger was minted for, when the test said
    view: dict[str, Any]
    answer: dict[str, Any]
    at: float

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id", ""))

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata", ""))


@dataclass(frozen=True)
class ResponsePost:
    """An accepted post to a response_url."""

    url: str
    kind: str
    use: int
    text: str | None
    blocks: list[dict[str, Any]] | None
    response_type: str
    replace_original: bool
    delete_original: bool
    body: dict[str, Any]


class RateLimiter:
    """Sliding 60-second window per method; `limits` maps method -> calls per window."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        self.limits = dict(limits)
        self._seen: dict[str, deque[float]] = {}

    def check(self, method: str, now: float) -> int | None:
        """Count the call and return None, or return Retry-After seconds if over the limit."""
        limit = self.limits.get(method)
        if limit is None:
            return None
        seen = self._seen.setdefault(method, deque())
        while seen and seen[0] <= now - RATE_WINDOW_SECONDS:
            seen.popleft()
        if len(seen) >= limit:
            return max(1, math.ceil(seen[0] + RATE_WINDOW_SECONDS - now))
        seen.append(now)
        return None


class ChannelPostLimiter:
    """chat.postMessage's "about one message a second per channel, bursts allowed": a bucket of
    ``burst`` posts per channel, refilled at ``per_second``; an empty bucket answers 429."""

    def __init__(self, burst: int = 5, per_second: float = 1.0) -> None:
        self.burst, self.per_second = burst, per_second
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, channel: str, now: float) -> int | None:
        tokens, at = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.per_second))
        self._buckets[channel] = (tokens - 1, now)
        return None

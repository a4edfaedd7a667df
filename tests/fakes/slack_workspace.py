"""The fake workspace's state and the Web API methods that read or change it.

Methods take the decoded request arguments and return the JSON answer, or raise `SlackError` with
the error code real Slack uses. Membership rules follow Slack: posting needs the bot in the
channel, except public channels when the app has `chat:write.public`; a private channel the bot is
not in does not exist as far as the bot can tell (`channel_not_found`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_directory import Directory, User
from tests.fakes.slack_errors import SlackError, flag, need_scope
from tests.fakes.slack_limits import check_message, truncate_text
from tests.fakes.slack_records import Ephemeral, PostedMessage

__all__ = ["DEFAULT_SCOPES", "DEFAULT_USERS", "Channel", "SlackError", "Workspace", "flag"]

DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "app_mentions:read",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "files:write",
)
# Users that tests/fakes/slack_requests.py puts in payloads by default.
DEFAULT_USERS = {"U2147483697": "alice", "U2147483698": "bob"}

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    member: bool
    private: bool
    users: frozenset[str] | None  # None: every user is in the channel


class Workspace:
    """Channels, users and messages of one team, plus the methods working on them."""

    def __init__(
        self, *, team_id: str, bot_user_id: str, bot_id: str, scopes: Iterable[str], ts_base: int
    ) -> None:
        self.team_id, self.bot_user_id, self.bot_id = team_id, bot_user_id, bot_id
        self.scopes = frozenset(scopes)
        self.channels: dict[str, Channel] = {}
        self.directory = Directory(team_id=team_id, scopes=self.scopes, epoch=lambda: ts_base)
        self.users: dict[str, User] = self.directory.users
        self.messages: dict[tuple[str, str], PostedMessage] = {}
        self.deleted: list[PostedMessage] = []
        self.ephemerals: list[Ephemeral] = []
        self._ts_counter = itertools.count(1)
        self._ts_base = ts_base
        self.add_user(bot_user_id, name="bms-bot", is_bot=True)
        for user_id, name in DEFAULT_USERS.items():
            self.add_user(user_id, name=name)

    def handlers(self) -> dict[str, Handler]:
        return {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "conversations.info": self.conversations_info,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
        } | self.directory.handlers()

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        restricted: bool = False,
        ultra_restricted: bool = False,
        deleted: bool = False,
        is_bot: bool = False,
        tz: str = "UTC",
        tz_offset: int = 0,
        display_name: str | None = None,
        real_name: str | None = None,
        tz_label: str | None = None,
    ) -> User:
        """A member. `display_name=None` uses `name`; pass "" for someone who never set one
        (common in real workspaces: fall back to `real_name`). `ultra_restricted` is a
        single-channel guest, `restricted` a multi-channel one."""
        user = User(
            id=user_id,
            team_id=self.team_id,
            name=name,
            real_name=name.title() if real_name is None else real_name,
            display_name=name if display_name is None else display_name,
            restricted=restricted,
            ultra_restricted=ultra_restricted,
            deleted=deleted,
            is_bot=is_bot,
            tz=tz,
            tz_offset=tz_offset,
            tz_label=tz_label,
            bot_id=self.bot_id if user_id == self.bot_user_id else None,
            updated=self._ts_base,
        )
        return self.directory.put_user(user)

    def mint_ts(self) -> str:
        """Unique, increasing message timestamps like "1764255600.000100"."""
        n = next(self._ts_counter)
        return f"{self._ts_base + n // 10_000}.{(n % 10_000) * 100:06d}"

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "bms-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(args)
        text, blocks, warning = self._content(args)
        thread_ts = self._thread_parent(channel.id, args.get("thread_ts"))
        message = PostedMessage(
            channel=channel.id,
            ts=self.mint_ts(),
            text=text,
            blocks=blocks or [],
            user=self.bot_user_id,
            bot_id=self.bot_id,
            thread_ts=thread_ts,
            reply_broadcast=flag(args.get("reply_broadcast")),
            metadata=_metadata(args.get("metadata")),
        )
        self.messages[(channel.id, message.ts)] = message
        answer = {"ok": True, "channel": channel.id, "ts": message.ts}
        return _with_warning(answer | {"message": self._wire(message)}, warning)

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        self._need("chat:write")
        channel = self._visible_channel(args.get("channel"))
        message = self.messages.get((channel.id, str(args.get("ts") or "")))
        if message is None:
            raise SlackError("message_not_found")
        if message.bot_id != self.bot_id:
            raise SlackError("cant_update_message")
        # Slack keeps the previous blocks when `blocks` is omitted; [] removes them.
        if "blocks" not in args:
            args = args | {"blocks": message.blocks}
        text, blocks, warning = self._content(args)
        message.edit(text, blocks or [])
        answer = {"ok": True, "channel": channel.id, "ts": message.ts, "text": text}
        return _with_warning(answer | {"message": self._wire(message)}, warning)

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(args)
        user = args.get("user")
        if not isinstance(user, str) or user not in self.users:
            raise SlackError("user_not_found")
        if channel.users is not None and user not in channel.users:
            raise SlackError("user_not_in_channel")
        text, blocks, warning = self._content(args)
        ts = self.mint_ts()
        thread_ts = args.get("thread_ts")
        self.ephemerals.append(Ephemeral(channel.id, user, ts, text, blocks or [], thread_ts))
        return _with_warning({"ok": True, "message_ts": ts}, warning)

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible_channel(args.get("channel"))
        self._need("groups:read" if channel.private else "channels:read")
        info = {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.private,
            "is_group": False,
            "is_im": False,
            "is_private": channel.private,
            "is_archived": False,
            "is_member": channel.member,
        }
        return {"ok": True, "channel": info}

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages (and broadcast replies), newest first, within oldest..latest."""
        channel = self._readable_channel(args)
        found = [
            m
            for m in self.messages.values()
            if m.channel == channel.id and (m.thread_ts is None or m.reply_broadcast)
        ]
        return self._page(found, args, newest_first=True)

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent (if the fake has it) and the replies, oldest first."""
        channel = self._readable_channel(args)
        ts = str(args.get("ts") or "")
        thread = [
            m
            for m in self.messages.values()
            if m.channel == channel.id and ts in (m.ts, m.thread_ts)
        ]
        if not thread:
            raise SlackError("thread_not_found")
        return self._page(thread, args, newest_first=False)

    def _readable_channel(self, args: dict[str, Any]) -> Channel:
        channel = self._visible_channel(args.get("channel"))
        self._need("groups:history" if channel.private else "channels:history")
        if not channel.member:
            raise SlackError("not_in_channel")
        return channel

    def _page(
        self, found: list[PostedMessage], args: dict[str, Any], *, newest_first: bool
    ) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or "inf")
        limit = min(max(int(args.get("limit") or 100), 1), 1000)
        kept = sorted(
            (m for m in found if oldest <= float(m.ts) <= latest),
            key=lambda m: float(m.ts),
            reverse=newest_first,
        )
        with_metadata = flag(args.get("include_all_metadata"))
        page = [m.to_history(with_metadata=with_metadata) for m in kept[:limit]]
        return {"ok": True, "messages": page, "has_more": len(kept) > limit}

    def _need(self, scope: str) -> None:
        need_scope(self.scopes, scope)

    def _visible_channel(self, channel_id: object) -> Channel:
        channel = self.channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or (channel.private and not channel.member):
            raise SlackError("channel_not_found")
        return channel

    def _postable_channel(self, args: dict[str, Any]) -> Channel:
        self._need("chat:write")
        channel = self._visible_channel(args.get("channel"))
        if not channel.member and "chat:write.public" not in self.scopes:
            raise SlackError("not_in_channel")
        return channel

    def _content(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None, bool]:
        """Validated (text, blocks, truncated) of a message, or SlackError as Slack would answer."""
        text, blocks = args.get("text"), args.get("blocks")
        problem = check_message(text, blocks)
        if problem is not None:
            raise SlackError(problem.error, messages=problem.messages)
        cut, truncated = truncate_text(str(text))
        return cut, blocks, truncated

    def channel_for_files(self, channel_id: object) -> Channel:
        """Where files.completeUploadExternal may share: a channel the bot is in."""
        channel = self._visible_channel(channel_id)
        if not channel.member:
            raise SlackError("not_in_channel")
        return channel

    def thread_parent(self, channel_id: str, thread_ts: object) -> str | None:
        return self._thread_parent(channel_id, thread_ts)

    def _thread_parent(self, channel_id: str, thread_ts: object) -> str | None:
        """Slack threads a reply-to-a-reply under the parent; unknown parents are taken as given
        because the parent may be a user's message the fake never saw."""
        if not thread_ts:
            return None
        parent = self.messages.get((channel_id, str(thread_ts)))
        if parent is not None and parent.thread_ts:
            return parent.thread_ts
        return str(thread_ts)

    def _wire(self, message: PostedMessage) -> dict[str, Any]:
        return message.to_payload() | {"team": self.team_id, "app_id": "A123456"}


def _metadata(value: object) -> dict[str, Any] | None:
    """chat.postMessage's `metadata`: an event_type and an event_payload object, or an error."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    ok = isinstance(value, dict) and isinstance(value.get("event_type"), str)
    if not ok or not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_schema")
    return value


def _with_warning(answer: dict[str, Any], truncated: bool) -> dict[str, Any]:
    if not truncated:
        return answer
    metadata = {"warnings": ["message_truncated"]}
    return answer | {"warning": "message_truncated", "response_metadata": metadata}

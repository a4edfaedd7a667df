"""response_url endpoints of the fake Slack.

Slack accepts up to 5 posts to one response_url within 30 minutes. A post is JSON
`{"text", "blocks", "response_type", "replace_original", "delete_original"}`; the message is
validated like chat.postMessage except that `delete_original` needs no content. When the URL was
minted for a known channel message (a click on a non-ephemeral message), `replace_original` edits
that message and `delete_original` removes it, as in Slack.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_limits import check_message, truncate_text
from tests.fakes.slack_records import ResponsePost
from tests.fakes.slack_workspace import SlackError, Workspace, flag

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class _Slot:
    url: str
    kind: str
    created: float
    channel: str | None
    message_ts: str | None
    uses: int = 0


class ResponseUrls:
    """Minted response_urls, their remaining uses, and the posts they accepted."""

    def __init__(self, workspace: Workspace, clock: Callable[[], float]) -> None:
        self._workspace = workspace
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self.posts: list[ResponsePost] = []

    def mint(self, base_url: str, kind: str, channel: str | None, message_ts: str | None) -> str:
        url_id = uuid.uuid4().hex
        url = f"{base_url}/response/{url_id}"
        self._slots[url_id] = _Slot(url, kind, self._clock(), channel, message_ts)
        return url

    def post(self, url_id: str, body: object, at: float) -> ResponsePost:
        """Accept one post or raise SlackError with the status Slack would answer."""
        slot = self._slots.get(url_id)
        if slot is None:
            raise SlackError("invalid_url", status=404)
        if at - slot.created > LIFETIME_SECONDS:
            raise SlackError("expired_url", status=404)
        if slot.uses >= MAX_USES:
            raise SlackError("used_url", status=404)
        if not isinstance(body, dict):
            raise SlackError("invalid_payload", status=400)
        post = self._accept(slot, body)
        slot.uses += 1
        self._apply(slot, post)
        self.posts.append(post)
        return post

    def _accept(self, slot: _Slot, body: dict[str, Any]) -> ResponsePost:
        response_type = body.get("response_type", "ephemeral")
        if response_type not in ("ephemeral", "in_channel"):
            raise SlackError("invalid_payload", status=400)
        delete = flag(body.get("delete_original"))
        text, blocks = body.get("text"), body.get("blocks")
        if not delete:
            problem = check_message(text, blocks)
            if problem is not None:
                raise SlackError(problem.error, status=400, messages=problem.messages)
            text, _ = truncate_text(str(text))
        return ResponsePost(
            url=slot.url,
            kind=slot.kind,
            use=slot.uses + 1,
            text=text if isinstance(text, str) else None,
            blocks=blocks if isinstance(blocks, list) else None,
            response_type=response_type,
            replace_original=flag(body.get("replace_original")),
            delete_original=delete,
            body=body,
        )

    def _apply(self, slot: _Slot, post: ResponsePost) -> None:
        if slot.channel is None or slot.message_ts is None:
            return
        key = (slot.channel, slot.message_ts)
        message = self._workspace.messages.get(key)
        if message is None:
            return
        if post.delete_original:
            self._workspace.deleted.append(self._workspace.messages.pop(key))
        elif post.replace_original:
            message.edit(post.text or "", post.blocks or [])

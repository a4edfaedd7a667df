"""Slack's external file upload, as the fake serves it.

``files.getUploadURLExternal(filename, length)`` hands out a file id and an upload URL on the
fake's own server; the bytes are POSTed there (raw, as slack_sdk sends them) and must be exactly
``length`` long; ``files.completeUploadExternal(files, channel_id, thread_ts, initial_comment)``
shares the uploaded files into the channel or thread as one message from the bot, whose ``files``
list (id, name, title) is what conversations.replies shows. Both need ``files:write``; sharing
needs the bot in the channel (``chat:write.public`` does not cover files). Exact error codes of
the completion are partly unconfirmed: ``file_not_found`` for an id never uploaded (or already
completed) is the fake's choice.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.slack_errors import SlackError, missing_argument, need_scope
from tests.fakes.slack_records import PostedMessage
from tests.fakes.slack_workspace import Workspace


@dataclass
class UploadedFile:
    id: str
    name: str
    length: int
    content: bytes | None = None  # None until the bytes arrive
    title: str | None = None
    shared: list[tuple[str, str | None]] = field(default_factory=list)  # (channel, thread_ts)


class Files:
    def __init__(self, workspace: Workspace, base_url: Callable[[], str]) -> None:
        self.workspace = workspace
        self.files: dict[str, UploadedFile] = {}
        self.uploads: list[tuple[str, int]] = []  # (file id, bytes received), bad ones included
        self._base_url = base_url
        self._tickets: dict[str, str] = {}  # upload URL token → file id
        self._ids = itertools.count(1)

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "files.getUploadURLExternal": self.get_upload_url,
            "files.completeUploadExternal": self.complete,
        }

    def get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        need_scope(self.workspace.scopes, "files:write")
        name, length = args.get("filename"), args.get("length")
        if not isinstance(name, str) or not name:
            raise missing_argument("filename")
        try:
            size = int(str(length))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if size <= 0:
            raise SlackError("missing_argument")  # what Slack answers for a length of 0
        file_id = f"F{next(self._ids):010d}"
        ticket = secrets.token_hex(8)
        self.files[file_id] = UploadedFile(file_id, name, size)
        self._tickets[ticket] = file_id
        url = f"{self._base_url()}/upload/v1/{ticket}"
        return {"ok": True, "upload_url": url, "file_id": file_id}

    async def receive(self, request: web.Request) -> web.Response:
        """The POST of a file's bytes to its upload URL."""
        file_id = self._tickets.get(request.match_info["ticket"])
        body = await request.read()
        if file_id is None:
            return web.Response(status=404, text="unknown upload URL")
        self.uploads.append((file_id, len(body)))
        upload = self.files[file_id]
        if len(body) != upload.length:
            return web.Response(status=400, text=f"expected {upload.length} bytes")
        upload.content = body
        return web.Response(status=200, text=f"OK - {len(body)}")

    def complete(self, args: dict[str, Any]) -> dict[str, Any]:
        need_scope(self.workspace.scopes, "files:write")
        wanted = _file_list(args.get("files"))
        uploads = []
        for item in wanted:
            upload = self.files.get(str(item.get("id")))
            if upload is None or upload.content is None or upload.shared:
                raise SlackError("file_not_found")
            uploads.append((upload, item.get("title")))
        channel_id, thread_ts = args.get("channel_id"), args.get("thread_ts")
        if channel_id:
            channel = self.workspace.channel_for_files(channel_id)
            parent = self.workspace.thread_parent(channel.id, thread_ts)
            shared = [self._share(u, t, channel.id, parent) for u, t in uploads]
            message = PostedMessage(
                channel=channel.id,
                ts=self.workspace.mint_ts(),
                text=str(args.get("initial_comment") or ""),
                blocks=[],
                user=self.workspace.bot_user_id,
                bot_id=self.workspace.bot_id,
                thread_ts=parent,
                files=shared,
            )
            self.workspace.messages[(channel.id, message.ts)] = message
        for upload, title in uploads:
            upload.title = str(title or upload.name)
        return {"ok": True, "files": [{"id": u.id, "title": u.title} for u, _ in uploads]}

    def _share(
        self, upload: UploadedFile, title: object, channel: str, thread_ts: str | None
    ) -> dict[str, Any]:
        upload.shared.append((channel, thread_ts))
        return {"id": upload.id, "name": upload.name, "title": str(title or upload.name)}


def _file_list(value: object) -> list[dict[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    if not isinstance(value, list) or not value:
        raise missing_argument("files")
    if not all(isinstance(item, dict) and item.get("id") for item in value):
        raise SlackError("invalid_arguments")
    return value

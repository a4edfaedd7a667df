"""One stop request's public side: the root message in the channel and the thread under it.

Everything the channel sees about a stop goes through a ``RequestThread``: it posts the root,
says things in the thread, edits the root as the stop progresses and posts the report parts.
Private answers to one person go through ``Poster.tell`` instead.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.report_file import ReportFile
from bot.ids import MetadataEvent
from bot.slack.poster import Poster, SlackFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RequestThread:
    poster: Poster
    request_id: str
    channel_id: str
    thread_ts: str | None  # where replies go: the mention's thread, or the root once posted
    root_ts: str | None  # the public message edited with progress

    async def open(self, message: Message) -> RequestThread:
        """Post the root (inside the mention's thread, if any); raises ``SlackFailure``."""
        ts = await self.poster.post(self.channel_id, message, thread_ts=self.thread_ts)
        return dataclasses.replace(self, root_ts=ts, thread_ts=self.thread_ts or ts)

    async def say(self, message: Message) -> None:
        """A thread reply, best effort: a failure is logged, never raised into the flow."""
        if not self.thread_ts:
            log.error("no thread to post in", extra={"request": self.request_id})
            return
        try:
            await self.poster.post(self.channel_id, message, thread_ts=self.thread_ts)
        except SlackFailure as exc:
            log.error("thread post failed", extra={"request": self.request_id, "error": exc.error})

    async def show(self, message: Message, *, final: bool = False) -> bool:
        """Edit the root to ``message``; True if the edit went out (see ``Poster.edit``)."""
        if not self.root_ts:
            return False
        return await self.poster.edit(
            self.channel_id, self.root_ts, message, key=self.request_id, final=final
        )

    async def find(self, event: MetadataEvent, since: float, **fields: object) -> str | None:
        """The ts of this request's own ``event`` message posted after ``since`` (in the thread,
        or in the channel before there is one), with ``fields`` in its metadata; None if there
        is none. Raises ``SlackFailure`` if Slack cannot say (see ``Poster.find_own``)."""
        payload = {"request_id": self.request_id, **fields}
        return await self.poster.find_own(
            self.channel_id, event.value, payload, thread_ts=self.thread_ts, since=since
        )

    async def post_part(self, message: Message) -> None:
        """One report part in the thread; raises ``SlackFailure`` so the caller can retry it."""
        await self.poster.post(self.channel_id, message, thread_ts=self.thread_ts)

    async def post_file(self, file: ReportFile) -> None:
        """The report's file in the thread; raises ``SlackFailure`` so the caller can retry it."""
        if not self.thread_ts:
            raise SlackFailure("no_thread", transient=False)
        await self.poster.upload(
            self.channel_id,
            self.thread_ts,
            filename=file.filename,
            title=file.title,
            content=file.content,
            comment=file.comment,
        )

    async def find_file(self, filename: str, since: float) -> str | None:
        """The ts of the thread's message sharing ``filename``, posted after ``since``; None if
        there is none. Raises ``SlackFailure`` if Slack cannot say."""
        if not self.thread_ts:
            return None
        return await self.poster.find_file(self.channel_id, self.thread_ts, filename, since=since)

    def close(self) -> None:
        """The root will not be edited again."""
        self.poster.forget_edits(self.request_id)

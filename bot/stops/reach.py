"""How a step reaches the people of a request: its public thread, and the requester privately."""

from __future__ import annotations

from bot.blocks.progress import root_message
from bot.core.clock import response_url_alive
from bot.core.models import RootState
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.slack.thread import RequestThread
from bot.store import RequestRow, StopRecord


def thread_of(record: StopRecord, poster: Poster) -> RequestThread:
    req = record.request
    return RequestThread(poster, req.id, req.channel_id, req.thread_ts, req.root_ts)


def requester_of(req: RequestRow, now: float) -> Place:
    """Where to reach the requester with nobody clicking: their command's response URL while it
    lives, else an ephemeral in the request's channel (and thread)."""
    return Place(
        team_id=req.team_id,
        channel_id=req.channel_id,
        user_id=req.user_id,
        origin=req.origin,
        thread_ts=req.thread_ts,
        response_url=req.response_url if response_url_alive(req.created_at, now) else None,
    )


async def show_state(
    thread: RequestThread, record: StopRecord, state: RootState, *, final: bool = False
) -> bool:
    """Edit the root to ``state`` with the current counts; True if the edit went out."""
    done, failed = record.progress()
    return await thread.show(root_message(record.summary(), done, failed, state), final=final)

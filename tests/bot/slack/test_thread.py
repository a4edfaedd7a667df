"""One request's thread against the fake Slack: the root, replies, edits and report parts."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import Message
from bot.slack.edit_gate import ProgressGate
from bot.slack.poster import Poster
from bot.slack.thread import RequestThread
from tests.fakes.slack_api import FakeSlack

ROOT = Message(text="root", blocks=[])
REPLY = Message(text="reply", blocks=[])


def poster_for(slack: FakeSlack) -> Poster:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
    return Poster(client, edits=ProgressGate(60))


async def test_the_root_opens_the_thread_everything_else_goes_in() -> None:
    """The root is posted in the channel; replies and parts go under it, edits change it."""
    async with FakeSlack() as slack:
        slack.add_channel("C1")
        thread = await RequestThread(poster_for(slack), "req_1", "C1", None, None).open(ROOT)
        assert thread.root_ts is not None
        assert thread.thread_ts == thread.root_ts
        await thread.say(REPLY)
        await thread.post_part(REPLY)
        assert [m.text for m in slack.thread_replies("C1", thread.root_ts)] == ["reply", "reply"]
        assert await thread.show(Message(text="edited", blocks=[]))
        assert not await thread.show(Message(text="too soon", blocks=[]))  # the edit gate
        assert await thread.show(Message(text="final", blocks=[]), final=True)
        assert slack.messages[("C1", thread.root_ts)].text == "final"


async def test_a_mention_thread_keeps_its_thread() -> None:
    """A request started in a thread posts its root inside that thread."""
    async with FakeSlack() as slack:
        slack.add_channel("C1")
        parent = await poster_for(slack).post("C1", ROOT)
        thread = await RequestThread(poster_for(slack), "req_1", "C1", parent, None).open(ROOT)
        assert thread.thread_ts == parent
        assert thread.root_ts != parent


async def test_saying_something_never_raises() -> None:
    """A reply Slack refuses, or with no thread at all, is logged, not raised."""
    async with FakeSlack() as slack:
        slack.add_channel("G1", member=False, private=True)
        await RequestThread(poster_for(slack), "req_1", "G1", "1.0", "1.0").say(REPLY)
        await RequestThread(poster_for(slack), "req_1", "G1", None, None).say(REPLY)
        assert not await RequestThread(poster_for(slack), "req_1", "G1", None, None).show(ROOT)

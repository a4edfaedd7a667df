"""The fake's external file upload, driven by slack_sdk's own files_upload_v2 over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_workspace import DEFAULT_SCOPES


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1")
        fake.add_channel("C2", member=False)
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def test_a_file_shared_in_a_thread_shows_in_its_replies(slack, client) -> None:
    """Upload, then completion into a thread: one bot message there lists the file by name."""
    root = await client.chat_postMessage(channel="C1", text="root")
    await client.files_upload_v2(
        channel="C1",
        thread_ts=root["ts"],
        filename="r.csv",
        title="Results",
        content=b"a,b\n1,2\n",
        initial_comment="every server",
    )
    replies = await client.conversations_replies(channel="C1", ts=root["ts"])
    shared = [m for m in replies["messages"] if m.get("files")]
    assert len(shared) == 1
    assert shared[0]["files"][0]["name"] == "r.csv"
    assert shared[0]["text"] == "every server"
    (upload,) = slack.files.files.values()
    assert upload.content == b"a,b\n1,2\n"


async def test_bytes_of_another_length_are_refused_and_cannot_be_shared(slack, client) -> None:
    """The upload URL takes exactly the announced length; an unfinished upload is not found."""
    reserved = await client.files_getUploadURLExternal(filename="r.csv", length=10)
    async with aiohttp.ClientSession() as http:
        answer = await http.post(reserved["upload_url"], data=b"short")
        assert answer.status == 400
    files = [{"id": reserved["file_id"], "title": "r"}]
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=files, channel_id="C1")
    assert refused.value.response["error"] == "file_not_found"


async def test_a_file_is_completed_once(slack, client) -> None:
    """Completing the same upload twice is refused the second time: no second share."""
    reserved = await client.files_getUploadURLExternal(filename="r.csv", length=3)
    async with aiohttp.ClientSession() as http:
        assert (await http.post(reserved["upload_url"], data=b"abc")).status == 200
    files = [{"id": reserved["file_id"], "title": "r"}]
    await client.files_completeUploadExternal(files=files, channel_id="C1")
    with pytest.raises(SlackApiError) as again:
        await client.files_completeUploadExternal(files=files, channel_id="C1")
    assert again.value.response["error"] == "file_not_found"
    assert len([m for m in slack.messages.values() if m.files]) == 1


async def test_sharing_needs_the_bot_in_the_channel(client) -> None:
    """chat:write.public does not cover files: a channel the bot is not in is refused."""
    with pytest.raises(SlackApiError) as refused:
        await client.files_upload_v2(channel="C2", filename="r.csv", content=b"x")
    assert refused.value.response["error"] == "not_in_channel"


async def test_uploads_need_files_write() -> None:
    """Without files:write the first step answers missing_scope."""
    scopes = [s for s in DEFAULT_SCOPES if s != "files:write"]
    async with FakeSlack(scopes=scopes) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.files_getUploadURLExternal(filename="r.csv", length=3)
        assert refused.value.response["error"] == "missing_scope"


async def test_a_zero_length_or_a_missing_name_is_refused(client) -> None:
    """length 0 answers missing_argument; no filename answers invalid_arguments."""
    with pytest.raises(SlackApiError) as zero:
        await client.files_getUploadURLExternal(filename="r.csv", length=0)
    assert zero.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as nameless:
        await client.api_call("files.getUploadURLExternal", params={"length": 3})
    assert nameless.value.response["error"] == "invalid_arguments"

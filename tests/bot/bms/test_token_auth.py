"""Tests for bot.bms.token_auth: IAM token fetch, caching, refresh and failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.bms.client import BmsClient
from bot.bms.errors import CloudAuthError, CloudUnavailable
from bot.bms.token_auth import IamTokenAuth
from bot.retry import RetryPolicy

IAM = "https://iam.cn-north-4.myhuaweicloud.com"
API = "https://bms.cn-north-4.myhuaweicloud.com"
PROJECT = "0123456789abcdef0123456789abcdef"
START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeCloud:
    """IAM and the API in one handler: IAM issues tok-1, tok-2…; the API may reject tokens."""

    def __init__(self) -> None:
        self.now = START
        self.lifetime = timedelta(hours=24)
        self.iam_status = 201
        self.rejected: set[str] = set()
        self.iam_requests: list[httpx.Request] = []
        self.api_tokens: list[str] = []

    def clock(self) -> datetime:
        return self.now

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        for _ in range(3):  # let concurrent requests interleave, as they would on a network
            await asyncio.sleep(0)
        if request.url.host == "iam.cn-north-4.myhuaweicloud.com":
            return self.issue(request)
        token = request.headers.get("X-Auth-Token", "")
        self.api_tokens.append(token)
        if token in self.rejected:
            return httpx.Response(401, json={"error_code": "APIGW.0301", "error_msg": "expired"})
        return httpx.Response(200, json={"job_id": "j", "status": "SUCCESS"})

    def issue(self, request: httpx.Request) -> httpx.Response:
        self.iam_requests.append(request)
        if self.iam_status != 201:
            body = {"error": {"code": self.iam_status, "message": "The password is wrong."}}
            return httpx.Response(self.iam_status, json=body)
        expires = (self.now + self.lifetime).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        token = f"tok-{len(self.iam_requests)}"
        body = {"token": {"expires_at": expires, "methods": ["password"]}}
        return httpx.Response(201, json=body, headers={"X-Subject-Token": token})


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


@pytest.fixture
async def http(cloud: FakeCloud) -> AsyncIterator[httpx.AsyncClient]:
    auth = IamTokenAuth(IAM, "ops-bot", "s3cret", "acme", PROJECT, clock=cloud.clock)
    async with httpx.AsyncClient(
        base_url=API, auth=auth, transport=httpx.MockTransport(cloud)
    ) as client:
        yield client


async def test_token_request_is_a_scoped_password_identity(http, cloud):
    """Posts the password identity scoped to the project to /v3/auth/tokens."""
    await http.get("/v1/p/jobs/j")
    (request,) = cloud.iam_requests
    assert (request.method, str(request.url)) == ("POST", f"{IAM}/v3/auth/tokens")
    assert "X-Auth-Token" not in request.headers
    assert json.loads(request.content) == {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "ops-bot", "password": "s3cret", "domain": {"name": "acme"}}
                },
            },
            "scope": {"project": {"id": PROJECT}},
        }
    }


async def test_sends_token_and_reuses_it(http, cloud):
    """Sends the token as X-Auth-Token and fetches it only once for many calls."""
    for _ in range(3):
        assert (await http.get("/v1/p/jobs/j")).status_code == 200
    assert cloud.api_tokens == ["tok-1"] * 3
    assert len(cloud.iam_requests) == 1


async def test_concurrent_calls_share_one_fetch(http, cloud):
    """Concurrent first calls wait for one token fetch instead of each fetching."""
    responses = await asyncio.gather(*(http.get("/v1/p/jobs/j") for _ in range(10)))
    assert all(r.status_code == 200 for r in responses)
    assert len(cloud.iam_requests) == 1
    assert cloud.api_tokens == ["tok-1"] * 10


async def test_refreshes_an_hour_before_expiry(http, cloud):
    """Keeps the token until an hour before it expires, then fetches a new one."""
    await http.get("/v1/p/jobs/j")
    cloud.now = START + timedelta(hours=22, minutes=59)
    await http.get("/v1/p/jobs/j")
    cloud.now = START + timedelta(hours=23, minutes=1)
    await http.get("/v1/p/jobs/j")
    assert cloud.api_tokens == ["tok-1", "tok-1", "tok-2"]


async def test_short_lived_token_refreshes_halfway(http, cloud):
    """A token shorter-lived than the margin is reused until half its life, not refetched."""
    cloud.lifetime = timedelta(minutes=30)
    await http.get("/v1/p/jobs/j")
    cloud.now = START + timedelta(minutes=14)
    await http.get("/v1/p/jobs/j")
    cloud.now = START + timedelta(minutes=16)
    await http.get("/v1/p/jobs/j")
    assert cloud.api_tokens == ["tok-1", "tok-1", "tok-2"]


async def test_refreshes_once_on_401_and_resends(http, cloud):
    """A 401 triggers one refresh and one resend of the same request."""
    await http.get("/v1/p/jobs/j")
    cloud.rejected.add("tok-1")
    response = await http.post("/v1/p/baremetalservers/action", json={"os-stop": {}})
    assert response.status_code == 200
    assert cloud.api_tokens == ["tok-1", "tok-1", "tok-2"]
    assert len(cloud.iam_requests) == 2


async def test_concurrent_401s_share_one_refresh(http, cloud):
    """Many requests refused at once refresh the token once between them."""
    await http.get("/v1/p/jobs/j")
    cloud.rejected.add("tok-1")
    responses = await asyncio.gather(*(http.get("/v1/p/jobs/j") for _ in range(5)))
    assert all(r.status_code == 200 for r in responses)
    assert len(cloud.iam_requests) == 2


async def test_persistent_401_is_an_auth_error_after_one_refresh(cloud):
    """If the fresh token is refused too, the client raises CloudAuthError; no loop."""
    cloud.rejected.update({"tok-1", "tok-2", "tok-3"})
    auth = IamTokenAuth(IAM, "ops-bot", "s3cret", "acme", PROJECT, clock=cloud.clock)
    client = BmsClient.create(
        API, PROJECT, auth, retry=RetryPolicy.no_wait(3), transport=httpx.MockTransport(cloud)
    )
    try:
        with pytest.raises(CloudAuthError, match="expired"):
            await client.get_job("j")
    finally:
        await client.aclose()
    assert cloud.api_tokens == ["tok-1", "tok-2"]


async def test_iam_refusal_is_an_auth_error(http, cloud):
    """IAM rejecting the password raises CloudAuthError naming user and domain."""
    cloud.iam_status = 401
    with pytest.raises(CloudAuthError, match=r"refused.*'ops-bot'.*'acme'.*password is wrong"):
        await http.get("/v1/p/jobs/j")
    assert cloud.api_tokens == []


async def test_iam_answer_without_token_is_an_auth_error(cloud):
    """A 201 without X-Subject-Token raises CloudAuthError."""

    def no_token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"token": {}})

    auth = IamTokenAuth(IAM, "ops-bot", "s3cret", "acme", PROJECT)
    async with httpx.AsyncClient(auth=auth, transport=httpx.MockTransport(no_token)) as client:
        with pytest.raises(CloudAuthError, match="without a token"):
            await client.get(f"{API}/x")


async def test_iam_outage_is_unavailable_and_unsent(http, cloud):
    """IAM failing with 5xx raises CloudUnavailable: the API request was never sent."""
    cloud.iam_status = 503
    with pytest.raises(CloudUnavailable) as caught:
        await http.get("/v1/p/jobs/j")
    assert not caught.value.maybe_sent
    assert cloud.api_tokens == []


async def test_iam_outage_during_early_refresh_keeps_valid_token(http, cloud):
    """If IAM is down during the early-refresh hour, the still-valid token is used."""
    await http.get("/v1/p/jobs/j")
    cloud.now = START + timedelta(hours=23, minutes=30)
    cloud.iam_status = 500
    assert (await http.get("/v1/p/jobs/j")).status_code == 200
    assert cloud.api_tokens == ["tok-1", "tok-1"]


def test_sync_clients_are_refused():
    """A sync httpx.Client fails loudly instead of sending requests without a token."""
    auth = IamTokenAuth(IAM, "ops-bot", "s3cret", "acme", PROJECT)
    transport = httpx.MockTransport(lambda r: httpx.Response(200))
    with httpx.Client(auth=auth, transport=transport) as client, pytest.raises(RuntimeError):
        client.get(f"{API}/x")


async def test_every_new_token_is_announced_for_redaction(cloud):
    """Each token IAM issues is handed to ``on_token`` (the logs mask it), once per token."""
    seen: list[str] = []
    auth = IamTokenAuth(
        IAM, "ops-bot", "s3cret", "acme", PROJECT, clock=cloud.clock, on_token=seen.append
    )
    async with httpx.AsyncClient(
        base_url=API, auth=auth, transport=httpx.MockTransport(cloud)
    ) as http:
        await http.get("/v1/p/jobs/j")
        cloud.rejected.add("tok-1")
        await http.get("/v1/p/jobs/j")
    assert seen == ["tok-1", "tok-2"]

"""Tests for bot.bms.client through httpx.MockTransport: errors, paging, lookups, stop, jobs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from bms_bodies import BMS_BODY, error

from bot.bms.client import BmsClient
from bot.bms.errors import (
    CloudNotFound,
    CloudRejected,
    CloudThrottled,
    CloudUnavailable,
)
from bot.bms.signing import AkSkAuth, canonical_request, parse_authorization, signature
from bot.retry import RetryPolicy

PROJECT = "0123456789abcdef0123456789abcdef"
BASE = "https://bms.cn-north-4.myhuaweicloud.com"
ACTION = f"/v1/{PROJECT}/baremetalservers/action"
JOB = {"job_id": "job-1", "status": "RUNNING", "entities": {}}

Outcome = httpx.Response | type[httpx.HTTPError]
Respond = Callable[[httpx.Request], httpx.Response]


def signature_ok(request: httpx.Request) -> bool:
    """Verify AK/SK the way the gateway does, from the request as the transport got it."""
    parts = parse_authorization(request.headers.get("Authorization", ""))
    if parts is None or parts["Access"] != "AK":
        return False
    canonical = canonical_request(
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        dict(request.headers.items()),
        parts["SignedHeaders"].split(";"),
        request.content,
    )
    return parts["Signature"] == signature("SK", request.headers["X-Sdk-Date"], canonical)


class Recorder:
    """A MockTransport handler that checks each request's signature and records it."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert signature_ok(request), "request not signed correctly"
        return self.respond(request)

    def count(self, method: str) -> int:
        return sum(1 for r in self.requests if r.method == method)


def sequence(*outcomes: Outcome) -> Respond:
    """Answer with each outcome in turn: a response, or an httpx error class to raise."""
    queue = list(outcomes)

    def respond(request: httpx.Request) -> httpx.Response:
        outcome = queue.pop(0)
        if isinstance(outcome, httpx.Response):
            return outcome
        raise outcome("simulated", request=request)  # type: ignore[call-arg]

    return respond


def server(i: int) -> dict[str, Any]:
    return {"id": f"srv-{i:05d}", "name": f"node-{i}", "status": "ACTIVE"}


def paged_list(total: int) -> Respond:
    """The list API: offset is a 1-based page number, limit the page size."""

    def respond(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        start = (page - 1) * limit
        rows = [server(i) for i in range(start, min(total, start + limit))]
        return httpx.Response(200, json={"count": total, "servers": rows})

    return respond


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., BmsClient]]:
    clients: list[BmsClient] = []

    def make(handler: Callable[[httpx.Request], Any], attempts: int = 3) -> BmsClient:
        client = BmsClient.create(
            BASE,
            PROJECT,
            AkSkAuth("AK", "SK", project_id=PROJECT),
            retry=RetryPolicy.no_wait(attempts),
            transport=httpx.MockTransport(handler),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_client_raises_mapped_error_with_details(connect):
    """A rejected call surfaces as CloudRejected with Huawei's code, message and request id."""
    handler = Recorder(sequence(error(400, BMS_BODY, **{"X-Request-Id": "req-9"})))
    with pytest.raises(CloudRejected) as caught:
        await connect(handler).stop_servers(["a"])
    assert (caught.value.code, caught.value.request_id) == ("BMS.0039", "req-9")


async def test_list_uses_offset_as_page_number(connect):
    """list_servers sends the page as offset and returns the count and parsed servers."""
    handler = Recorder(paged_list(2500))
    count, servers = await connect(handler).list_servers(page=2, limit=1000, status="ACTIVE")
    (request,) = handler.requests
    assert request.url.path == f"/v1/{PROJECT}/baremetalservers/detail"
    assert dict(request.url.params) == {"offset": "2", "limit": "1000", "status": "ACTIVE"}
    assert count == 2500
    assert [s.id for s in servers] == [f"srv-{i:05d}" for i in range(1000, 2000)]


def offsets(handler: Recorder) -> list[str]:
    """The list pages asked for, in order (single GETs carry no offset)."""
    return [r.url.params["offset"] for r in handler.requests if "offset" in r.url.params]


async def test_find_servers_stops_paging_once_all_found(connect):
    """Many ids: pages through the list and stops as soon as every id was seen."""
    handler = Recorder(paged_list(5000))
    wanted = [f"srv-{i:05d}" for i in (3, 999, 1000, 1500, 1999, 10)]
    found = await connect(handler).find_servers(wanted)
    assert set(found) == set(wanted)
    assert offsets(handler) == ["1", "2"]
    assert all(r.url.params["limit"] == "1000" for r in handler.requests)


async def test_find_servers_in_a_big_project_gets_each_once_its_size_is_known(connect):
    """Ten ids in a project of 10,000 servers: the first lookup pages the list (the size is not
    known yet) and learns the count; after that ten single GETs are cheaper than up to ten pages
    (Huawei allows twice as many single reads a minute as list calls) and are used instead."""
    listing = paged_list(10_000)

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/detail"):
            return listing(request)
        server_id = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"server": {"id": server_id, "status": "ACTIVE"}})

    handler = Recorder(respond)
    client = connect(handler)
    first = [f"srv-{i:05d}" for i in range(0, 1000, 100)]
    assert set(await client.find_servers(first)) == set(first)
    assert offsets(handler) == ["1"]
    handler.requests.clear()
    later = [f"srv-{i:05d}" for i in range(9000, 10_000, 100)]
    assert set(await client.find_servers(later)) == set(later)
    assert offsets(handler) == []
    assert handler.count("GET") == 10


async def test_find_servers_stops_at_short_page(connect):
    """Ids that do not exist end the scan at the first short page."""
    handler = Recorder(paged_list(2100))
    wanted = ["srv-00001", "srv-02050", "nope-1", "nope-2", "nope-3", "nope-4"]
    found = await connect(handler).find_servers(wanted)
    assert set(found) == {"srv-00001", "srv-02050"}
    assert offsets(handler) == ["1", "2", "3"]


async def test_find_servers_stops_if_api_ignores_offset(connect):
    """A list API that repeats the same full page cannot make the scan loop forever."""
    handler = Recorder(
        lambda r: httpx.Response(200, json={"servers": [server(i) for i in range(1000)]})
    )
    found = await connect(handler).find_servers([f"id-{i}" for i in range(6)])
    assert found == {}
    assert offsets(handler) == ["1", "2"]


async def test_all_servers_pages_to_the_short_page(connect):
    """Every server of the project, in order, one page of 1000 at a time until a short page."""
    handler = Recorder(paged_list(2500))
    servers = await connect(handler).all_servers()
    assert [s.id for s in servers] == [f"srv-{i:05d}" for i in range(2500)]
    assert offsets(handler) == ["1", "2", "3"]


async def test_all_servers_ends_if_api_ignores_offset(connect):
    """A list API repeating one full page yields it once and ends."""
    handler = Recorder(
        lambda r: httpx.Response(200, json={"servers": [server(i) for i in range(1000)]})
    )
    assert len(await connect(handler).all_servers()) == 1000
    assert offsets(handler) == ["1", "2"]


async def test_find_servers_few_ids_uses_single_gets(connect):
    """A few ids: one GET each; 404 and 400 BMS.0040 both mean unknown."""

    def respond(request: httpx.Request) -> httpx.Response:
        server_id = request.url.path.rsplit("/", 1)[-1]
        if server_id == "gone-404":
            return error(404, text="nothing")
        if server_id == "gone-0040":
            return error(400, {"error": {"code": "BMS.0040", "message": "not exist"}})
        return httpx.Response(200, json={"server": {"id": server_id, "status": "SHUTOFF"}})

    handler = Recorder(respond)
    found = await connect(handler).find_servers(["here", "gone-404", "gone-0040", "here"])
    assert list(found) == ["here"]
    assert found["here"].status == "SHUTOFF"
    assert handler.count("GET") == 3
    assert all("/baremetalservers/detail" not in r.url.path for r in handler.requests)


async def test_find_servers_few_ids_runs_gets_concurrently(connect):
    """The single GETs overlap instead of running one after another."""
    in_flight, peak = 0, 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json={"server": {"id": request.url.path[-1]}})

    assert len(await connect(respond).find_servers(["a", "b", "c", "d"])) == 4
    assert peak == 4


async def test_find_servers_propagates_real_errors(connect):
    """A lookup failure other than not-found is raised, not read as unknown."""
    handler = Recorder(lambda r: error(403, {"error_code": "APIGW.0302", "error_msg": "denied"}))
    with pytest.raises(CloudRejected, match="denied"):
        await connect(handler).find_servers(["a", "b"])


async def test_get_server_refuses_ids_unfit_for_a_url(connect):
    """An id that cannot be a server id is unknown, and never reaches a URL."""
    handler = Recorder(lambda r: httpx.Response(500))
    assert await connect(handler).get_server("../../jobs/x") is None
    assert handler.requests == []


async def test_stop_body_is_exact(connect):
    """Posts exactly the os-stop body, HARD by default, and returns the job id."""
    handler = Recorder(sequence(httpx.Response(200, json={"job_id": "job-7"})))
    assert await connect(handler).stop_servers(["a", "b", "a"]) == "job-7"
    (request,) = handler.requests
    assert (request.method, request.url.path) == ("POST", ACTION)
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "os-stop": {"type": "HARD", "servers": [{"id": "a"}, {"id": "b"}]}
    }


async def test_stop_soft_sends_soft(connect):
    """soft=True asks for a SOFT stop."""
    handler = Recorder(sequence(httpx.Response(200, json={"job_id": "j"})))
    await connect(handler).stop_servers(["a"], soft=True)
    assert json.loads(handler.requests[0].content)["os-stop"]["type"] == "SOFT"


@pytest.mark.parametrize("count", [0, 1001])
async def test_stop_batch_size_is_checked(connect, count: int):
    """Zero or more than 1000 servers raise ValueError before any request."""
    handler = Recorder(lambda r: httpx.Response(200, json={"job_id": "j"}))
    with pytest.raises(ValueError, match="1 to 1000"):
        await connect(handler).stop_servers([f"s{i}" for i in range(count)])
    assert handler.requests == []


THROTTLED = error(429, {"error_code": "APIGW.0308", "error_msg": "throttled"})
ACCEPTED = httpx.Response(200, json={"job_id": "job-ok"})


@pytest.mark.parametrize(
    "first",
    [
        THROTTLED,
        error(400, {"error": {"code": "BMS.0212", "message": "overloaded"}}),
        error(503, text="busy", **{"Retry-After": "1"}),
        httpx.ConnectError,
        httpx.ConnectTimeout,
    ],
)
async def test_stop_retries_what_cannot_have_been_sent(connect, first: Outcome):
    """Retries the stop after throttling, 503 with Retry-After, or a failed connect."""
    handler = Recorder(sequence(first, ACCEPTED))
    assert await connect(handler).stop_servers(["a"]) == "job-ok"
    assert handler.count("POST") == 2


@pytest.mark.parametrize(
    "first",
    [
        error(500, text="oops"),
        error(503, text="busy"),
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.WriteError,
    ],
)
async def test_stop_never_retries_what_may_have_been_sent(connect, first: Outcome):
    """A 5xx or a failure after sending is not retried: it raises CloudUnavailable(maybe_sent)."""
    handler = Recorder(sequence(first, ACCEPTED))
    with pytest.raises(CloudUnavailable) as caught:
        await connect(handler).stop_servers(["a"])
    assert caught.value.maybe_sent
    assert handler.count("POST") == 1


async def test_stop_connect_errors_exhausted_were_never_sent(connect):
    """When every connect fails, the error says the stop was never sent."""
    handler = Recorder(sequence(*[httpx.ConnectError] * 3))
    with pytest.raises(CloudUnavailable) as caught:
        await connect(handler, attempts=3).stop_servers(["a"])
    assert not caught.value.maybe_sent
    assert handler.count("POST") == 3


async def test_stop_throttled_to_the_end_raises_throttled(connect):
    """Throttling that outlasts the attempts surfaces as CloudThrottled."""
    handler = Recorder(sequence(THROTTLED, THROTTLED))
    with pytest.raises(CloudThrottled):
        await connect(handler, attempts=2).stop_servers(["a"])
    assert handler.count("POST") == 2


async def test_stop_without_job_id_may_have_been_sent(connect):
    """A 200 without job_id raises CloudUnavailable(maybe_sent=True)."""
    handler = Recorder(sequence(httpx.Response(200, json={})))
    with pytest.raises(CloudUnavailable, match="job id") as caught:
        await connect(handler).stop_servers(["a"])
    assert caught.value.maybe_sent


@pytest.mark.parametrize("first", [error(500, text="oops"), httpx.ReadTimeout, THROTTLED])
async def test_get_job_retries_then_succeeds(connect, first: Outcome):
    """Job polls retry 5xx, timeouts and throttling, then return the parsed job."""
    handler = Recorder(sequence(first, httpx.Response(200, json=JOB)))
    job = await connect(handler).get_job("job-1")
    assert (job.job_id, job.status) == ("job-1", "RUNNING")
    assert handler.count("GET") == 2
    assert handler.requests[0].url.path == f"/v1/{PROJECT}/jobs/job-1"


async def test_get_job_gives_up_after_attempts(connect):
    """Retries are bounded: the last CloudUnavailable propagates."""
    handler = Recorder(sequence(*[error(500, text="oops")] * 3))
    with pytest.raises(CloudUnavailable):
        await connect(handler, attempts=3).get_job("job-1")
    assert handler.count("GET") == 3


async def test_get_job_does_not_retry_rejections(connect):
    """A 4xx that is not throttling is raised at once."""
    handler = Recorder(sequence(error(404, text="no job"), ACCEPTED))
    with pytest.raises(CloudNotFound):
        await connect(handler).get_job("job-1")
    assert handler.count("GET") == 1


async def test_non_json_success_is_unavailable(connect):
    """A 200 whose body is not a JSON object raises CloudUnavailable, not a decode error."""
    handler = Recorder(lambda r: httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(CloudUnavailable, match="JSON"):
        await connect(handler, attempts=1).get_job("job-1")


async def test_calls_are_logged_without_credentials(connect, caplog: pytest.LogCaptureFixture):
    """Each call logs method, path, status and request id, never the Authorization header."""
    ok = httpx.Response(200, json={"job_id": "j"}, headers={"X-Request-Id": "rid-1"})
    handler = Recorder(sequence(ok))
    with caplog.at_level(logging.DEBUG, logger="bot.bms.client"):
        await connect(handler).stop_servers(["a"])
    (record,) = [r for r in caplog.records if r.name == "bot.bms.client"]
    assert (record.method, record.path, record.status) == ("POST", ACTION, 200)
    assert record.huawei_request_id == "rid-1"
    assert isinstance(record.duration_ms, float)
    assert "SDK-HMAC" not in caplog.text
    assert "Signature" not in str(record.__dict__)

"""AK/SK and IAM-token authentication at the simulated gateway, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sim_support import AK, DETAIL, PROJECT, SK, FakeClock, token_body

from bot.bms.signing import AkSkAuth
from simulator import RunningSimulator, Simulator
from simulator.auth import AkSkVerifier, ReceivedRequest


def _assert_apigw_0301(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error_code", "error_msg", "request_id"}
    assert body["error_code"] == "APIGW.0301"
    assert body["error_msg"].startswith("Incorrect IAM authentication information: ")
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_accepts_the_documented_bms_signature_vector() -> None:
    """Verifies the reference doc's BMS-shaped vector with the shared signing functions."""
    headers = {
        "content-type": "application/json",
        "host": "bms.cn-north-4.myhuaweicloud.com",
        "x-sdk-date": "20240101T000000Z",
        "x-project-id": "0123456789abcdef0123456789abcdef",
        "authorization": "SDK-HMAC-SHA256 Access=AK_EXAMPLE, "
        "SignedHeaders=content-type;host;x-project-id;x-sdk-date, "
        "Signature=372016a041016da60e776c1a9d189d30fb0edfa173cabb1f73ad52492446b311",
    }
    request = ReceivedRequest(
        method="POST",
        path="/v1/0123456789abcdef0123456789abcdef/baremetalservers/action",
        query=[],
        headers=headers,
        body=b'{"os-stop": {"type": "HARD", "servers": [{"id": "x"}]}}',
    )
    at = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    assert AkSkVerifier({"AK_EXAMPLE": "SK_EXAMPLE"}, lambda: at).verify(request) == "AK_EXAMPLE"


async def test_signed_request_is_accepted(client: httpx.AsyncClient) -> None:
    """Answers a correctly signed request with 200."""
    response = await client.get(DETAIL, params={"limit": 5, "name": "web"})
    assert response.status_code == 200


async def test_wrong_secret_key_is_refused(running: RunningSimulator) -> None:
    """Refuses a signature made with the wrong SK, showing the canonical request it computed."""
    async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, "wrong")) as http:
        response = await http.get(DETAIL)
    _assert_apigw_0301(response)
    assert "verify aksk signature fail" in response.json()["error_msg"]
    assert f"|{DETAIL}/|" in response.json()["error_msg"]


async def test_unknown_access_key_is_refused(running: RunningSimulator) -> None:
    """Refuses an AK the gateway does not know."""
    async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth("OTHER", SK)) as http:
        response = await http.get(DETAIL)
    _assert_apigw_0301(response)
    assert "Get secretKey failed" in response.json()["error_msg"]


async def test_tampered_query_is_refused(client: httpx.AsyncClient, sim: Simulator) -> None:
    """Refuses a request whose query changed after signing."""
    sim.seed(1)
    request = client.build_request("GET", DETAIL, params={"limit": "5"})
    signed = next(client.auth.sync_auth_flow(request))
    tampered = client.build_request(
        "GET", DETAIL, params={"limit": "6"}, headers=dict(signed.headers)
    )
    response = await client.send(tampered, auth=None)
    _assert_apigw_0301(response)


@pytest.mark.parametrize("skew", [timedelta(minutes=16), -timedelta(minutes=16)])
async def test_stale_or_future_date_is_refused(client: httpx.AsyncClient, skew: timedelta) -> None:
    """Refuses an X-Sdk-Date more than 15 minutes from the gateway's clock."""
    date = (datetime.now(UTC) - skew).strftime("%Y%m%dT%H%M%SZ")
    response = await client.get(DETAIL, headers={"X-Sdk-Date": date})
    _assert_apigw_0301(response)


async def test_date_within_fifteen_minutes_is_accepted(client: httpx.AsyncClient) -> None:
    """Accepts a signed date 14 minutes behind the gateway's clock."""
    date = (datetime.now(UTC) - timedelta(minutes=14)).strftime("%Y%m%dT%H%M%SZ")
    response = await client.get(DETAIL, headers={"X-Sdk-Date": date})
    assert response.status_code == 200


async def test_missing_authorization_is_refused(running: RunningSimulator) -> None:
    """Refuses an unsigned request."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.get(DETAIL)
    _assert_apigw_0301(response)


async def test_host_must_be_signed(running: RunningSimulator) -> None:
    """Refuses a signature whose SignedHeaders leave out host."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        request = http.build_request("GET", DETAIL)
        request.headers["X-Sdk-Date"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        request.headers["Authorization"] = (
            f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature=00"
        )
        response = await http.send(request)
    _assert_apigw_0301(response)


async def test_five_failures_lock_the_access_key(
    running: RunningSimulator, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    """Locks the AK for five minutes after five failures in a row, as Huawei does."""
    async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, "wrong")) as bad:
        for _ in range(5):
            _assert_apigw_0301(await bad.get(DETAIL))
    locked = await client.get(DETAIL)
    _assert_apigw_0301(locked)
    assert "AK access failed to reach the limit" in locked.json()["error_msg"]
    clock.advance(301)
    date = datetime.fromtimestamp(clock.now, UTC).strftime("%Y%m%dT%H%M%SZ")
    assert (await client.get(DETAIL, headers={"X-Sdk-Date": date})).status_code == 200


async def test_a_success_resets_the_failure_count(
    running: RunningSimulator, client: httpx.AsyncClient
) -> None:
    """Counts only consecutive failures towards the lock."""
    async with httpx.AsyncClient(base_url=running.url, auth=AkSkAuth(AK, "wrong")) as bad:
        for _ in range(4):
            await bad.get(DETAIL)
        assert (await client.get(DETAIL)).status_code == 200
        await bad.get(DETAIL)
    assert (await client.get(DETAIL)).status_code == 200


async def test_project_header_must_match_url(running: RunningSimulator) -> None:
    """Answers Common.0018 when X-Project-Id differs from the project in the URL."""
    auth = AkSkAuth(AK, SK, "f" * 32)
    async with httpx.AsyncClient(base_url=running.url, auth=auth) as http:
        response = await http.get(DETAIL)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Common.0018"


async def test_unknown_project_in_url_is_refused(client: httpx.AsyncClient) -> None:
    """Answers Common.0018 for a project the simulator does not hold."""
    auth = AkSkAuth(AK, SK)  # no X-Project-Id: only the URL names the project
    response = await client.get(f"/v1/{'e' * 32}/baremetalservers/detail", auth=auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Common.0018"


async def test_iam_token_is_issued_and_accepted(running: RunningSimulator, sim: Simulator) -> None:
    """Issues a 24-hour token for the password identity and accepts it as X-Auth-Token."""
    sim.seed(2)
    async with httpx.AsyncClient(base_url=running.url) as http:
        issued = await http.post("/v3/auth/tokens", json=token_body())
        assert issued.status_code == 201
        token = issued.headers["X-Subject-Token"]
        body = issued.json()["token"]
        assert body["project"]["id"] == PROJECT
        expires = datetime.fromisoformat(body["expires_at"])
        assert expires - datetime.fromtimestamp(sim.clock(), UTC) == timedelta(hours=24)
        listed = await http.get(DETAIL, headers={"X-Auth-Token": token})
    assert listed.status_code == 200
    assert listed.json()["count"] == 2


async def test_wrong_iam_password_is_refused(running: RunningSimulator) -> None:
    """Answers a wrong password with IAM's own 401 error shape."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/v3/auth/tokens", json=token_body(password="nope"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": 401,
            "message": "The username or password is wrong.",
            "title": "Unauthorized",
        }
    }
    assert "X-Subject-Token" not in response.headers
    assert response.headers["X-Request-Id"]


async def test_token_for_another_project_scope_is_refused(running: RunningSimulator) -> None:
    """Refuses to scope a token to a project the simulator does not hold."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/v3/auth/tokens", json=token_body(project_id="9" * 32))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 400


async def test_unknown_and_expired_tokens_are_refused(
    running: RunningSimulator, clock: FakeClock
) -> None:
    """Refuses a token it never issued, and one past its 24 hours."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        _assert_apigw_0301(await http.get(DETAIL, headers={"X-Auth-Token": "MIIforged"}))
        issued = await http.post("/v3/auth/tokens", json=token_body())
        clock.advance(24 * 3600)
        expired = await http.get(
            DETAIL, headers={"X-Auth-Token": issued.headers["X-Subject-Token"]}
        )
    _assert_apigw_0301(expired)
    assert "decrypt token fail" in expired.json()["error_msg"]


async def test_token_scope_by_region_name(running: RunningSimulator) -> None:
    """Issues a token scoped by project name, which for a default project is the region."""
    body = token_body()
    body["auth"]["scope"] = {"project": {"name": "cn-north-4"}}
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/v3/auth/tokens", json=body)
    assert response.status_code == 201
    assert response.json()["token"]["project"]["id"] == PROJECT


async def test_token_with_other_project_header_is_refused(running: RunningSimulator) -> None:
    """Answers Common.0018 when a token request's X-Project-Id names another project."""
    async with httpx.AsyncClient(base_url=running.url) as http:
        issued = await http.post("/v3/auth/tokens", json=token_body())
        headers = {"X-Auth-Token": issued.headers["X-Subject-Token"], "X-Project-Id": "f" * 32}
        response = await http.get(DETAIL, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Common.0018"

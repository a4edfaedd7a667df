"""Tests for bot.bms.signing: the official AK/SK vectors and the canonical-request rules."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest

from bot.bms.signing import (
    AkSkAuth,
    authorization_header,
    canonical_query,
    canonical_request,
    canonical_uri,
    parse_authorization,
    sign_request,
    signature,
)

OFFICIAL_URL = "https://service.endpoint.myhuaweicloud.com/resources?size=1"
OFFICIAL_DATE = "20200608T023900Z"
BMS_PROJECT = "0123456789abcdef0123456789abcdef"
BMS_URL = f"https://bms.cn-north-4.myhuaweicloud.com/v1/{BMS_PROJECT}/baremetalservers/action"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def signed(method: str, url: str, body: bytes = b"", **headers: str) -> httpx.Request:
    request = httpx.Request(method, url, content=body, headers=headers)
    sign_request(request, "AccessKey", "SecretKey")
    return request


def auth_parts(request: httpx.Request) -> dict[str, str]:
    parts = parse_authorization(request.headers["Authorization"])
    assert parts is not None
    return parts


def verifies(request: httpx.Request, secret_key: str) -> bool:
    """Recompute the signature the way the gateway does, from the request as sent."""
    parts = auth_parts(request)
    names = parts["SignedHeaders"].split(";")
    canonical = canonical_request(
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        dict(request.headers.items()),
        names,
        request.content,
    )
    return parts["Signature"] == signature(secret_key, request.headers["X-Sdk-Date"], canonical)


def test_official_get_vector():
    """Signs the official GET example to the published signature."""
    parts = auth_parts(signed("GET", OFFICIAL_URL, **{"X-Sdk-Date": OFFICIAL_DATE}))
    assert parts["Access"] == "AccessKey"
    assert parts["SignedHeaders"] == "host;x-sdk-date"
    assert parts["Signature"] == "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"


def test_official_post_vector():
    """Signs the official POST example (exact body bytes) to the published signature."""
    body = b'{"name":"test","id":1}'
    parts = auth_parts(signed("POST", OFFICIAL_URL, body, **{"X-Sdk-Date": OFFICIAL_DATE}))
    assert parts["SignedHeaders"] == "host;x-sdk-date"
    assert parts["Signature"] == "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"


def test_bms_shaped_vector():
    """Signs the BMS os-stop example, content type and project id included."""
    request = httpx.Request(
        "POST",
        BMS_URL,
        content=b'{"os-stop": {"type": "HARD", "servers": [{"id": "x"}]}}',
        headers={
            "Content-Type": "application/json",
            "X-Sdk-Date": "20240101T000000Z",
            "X-Project-Id": BMS_PROJECT,
        },
    )
    sign_request(request, "AK_EXAMPLE", "SK_EXAMPLE")
    parts = auth_parts(request)
    assert parts["SignedHeaders"] == "content-type;host;x-project-id;x-sdk-date"
    assert parts["Signature"] == "372016a041016da60e776c1a9d189d30fb0edfa173cabb1f73ad52492446b311"


async def test_aksk_auth_sets_and_signs_project_id():
    """AkSkAuth adds X-Project-Id, signs it, and leaves httpx's transport headers unsigned."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    auth = AkSkAuth("AK", "SK", project_id=BMS_PROJECT)
    async with httpx.AsyncClient(auth=auth, transport=httpx.MockTransport(handler)) as http:
        await http.post(BMS_URL, json={"os-stop": {"servers": [{"id": "x"}]}})
    (request,) = seen
    assert request.headers["X-Project-Id"] == BMS_PROJECT
    names = auth_parts(request)["SignedHeaders"].split(";")
    assert "x-project-id" in names
    assert "content-type" in names
    assert not {"user-agent", "accept", "accept-encoding", "content-length"} & set(names)
    assert verifies(request, "SK")
    assert not verifies(request, "wrong-SK")


def test_sign_request_adds_date_when_absent():
    """Adds X-Sdk-Date in the compact UTC format when none was pinned."""
    request = httpx.Request("GET", OFFICIAL_URL)
    sign_request(request, "AK", "SK", now=datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    assert request.headers["X-Sdk-Date"] == "20240506T070809Z"
    assert verifies(request, "SK")


def test_canonical_uri_adds_trailing_slash_and_encodes():
    """Adds the signing-only trailing slash and percent-encodes each segment."""
    assert canonical_uri("/v1/p/baremetalservers/action") == "/v1/p/baremetalservers/action/"
    assert canonical_uri("/already/") == "/already/"
    assert canonical_uri("/a b/ü:x") == "/a%20b/%C3%BC%3Ax/"
    assert canonical_uri("/keep-_.~") == "/keep-_.~/"


def test_signing_leaves_the_sent_path_alone():
    """The trailing slash is for signing only: the request URL keeps its path."""
    request = signed("GET", BMS_URL, **{"X-Sdk-Date": OFFICIAL_DATE})
    assert request.url.path.endswith("/action")


def test_canonical_query_sorts_and_encodes():
    """Sorts parameters by name and percent-encodes names and values."""
    assert canonical_query([("offset", "2"), ("limit", "1000"), ("name", "a b")]) == (
        "limit=1000&name=a%20b&offset=2"
    )
    assert canonical_query([]) == ""


def test_query_order_does_not_change_signature():
    """Two URLs with the same parameters in different order sign alike."""
    date = {"X-Sdk-Date": OFFICIAL_DATE}
    first = signed("GET", "https://h.example/r?b=2&a=1", **date)
    second = signed("GET", "https://h.example/r?a=1&b=2", **date)
    assert auth_parts(first)["Signature"] == auth_parts(second)["Signature"]


def test_body_hash_is_of_exact_bytes():
    """Hashes the bytes sent: the empty body has the known hash, whitespace changes it."""
    empty = canonical_request("GET", "/", [], {"host": "h"}, ["host"], b"")
    assert empty.endswith("\n" + EMPTY_SHA256)
    body = b'{"a": 1}'
    assert canonical_request("POST", "/", [], {"host": "h"}, ["host"], body).endswith(
        "\n" + hashlib.sha256(body).hexdigest()
    )
    date = {"X-Sdk-Date": OFFICIAL_DATE}
    compact = signed("POST", OFFICIAL_URL, b'{"a":1}', **date)
    spaced = signed("POST", OFFICIAL_URL, b'{"a": 1}', **date)
    assert auth_parts(compact)["Signature"] != auth_parts(spaced)["Signature"]


def test_header_added_after_signing_is_not_signed():
    """A header set after signing is absent from SignedHeaders and does not break the signature."""
    request = signed("GET", OFFICIAL_URL, **{"X-Sdk-Date": OFFICIAL_DATE})
    request.headers["X-Added-Later"] = "1"
    assert "x-added-later" not in auth_parts(request)["SignedHeaders"].split(";")
    assert verifies(request, "SecretKey")


def test_header_names_with_underscore_are_not_signed():
    """Like the SDK, names containing an underscore stay out of SignedHeaders."""
    request = signed("GET", OFFICIAL_URL, **{"X-Sdk-Date": OFFICIAL_DATE, "X_Odd": "1"})
    assert auth_parts(request)["SignedHeaders"] == "host;x-sdk-date"


def test_parse_authorization_round_trips():
    """Parses what authorization_header writes."""
    value = authorization_header("AK", ["host", "x-sdk-date"], "abc123")
    assert parse_authorization(value) == {
        "Access": "AK",
        "SignedHeaders": "host;x-sdk-date",
        "Signature": "abc123",
    }


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "Bearer abc",
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, garbage",
        "sdk-hmac-sha256 Access=AK, SignedHeaders=host, Signature=x",
    ],
)
def test_parse_authorization_rejects_junk(junk: str):
    """Returns None for anything that is not a complete SDK-HMAC-SHA256 header."""
    assert parse_authorization(junk) is None

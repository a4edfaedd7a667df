"""How Huawei's answers map to the exception tree and to retry hints (bot.bms.responses)."""

from __future__ import annotations

import httpx
import pytest
from bms_bodies import BMS_BODY, RID, bms, error, gateway

from bot.bms.errors import (
    CloudAuthError,
    CloudError,
    CloudNotFound,
    CloudRejected,
    CloudThrottled,
    CloudUnavailable,
)
from bot.bms.responses import error_for_response


@pytest.mark.parametrize(
    ("response", "kind", "code", "message", "request_id"),
    [
        (
            error(400, BMS_BODY, **{RID: "r1"}),
            CloudRejected,
            "BMS.0039",
            BMS_BODY["error"]["message"],
            "r1",
        ),
        (
            error(429, gateway("APIGW.0308", "slow", "r2")),
            CloudThrottled,
            "APIGW.0308",
            "slow",
            "r2",
        ),
        (
            error(401, gateway("APIGW.0301", "bad sig", "r3")),
            CloudAuthError,
            "APIGW.0301",
            "bad sig",
            "r3",
        ),
        (error(400, bms("BMS.0040", "no server")), CloudNotFound, "BMS.0040", "no server", None),
        (error(404, text="Not Found"), CloudNotFound, None, "Not Found", None),
        (error(400, bms("BMS.0212", "overloaded")), CloudThrottled, "BMS.0212", "overloaded", None),
        (error(403, gateway("APIGW.0302", "denied")), CloudRejected, "APIGW.0302", "denied", None),
        (
            error(404, gateway("APIGW.0101", "no API")),
            CloudRejected,
            "APIGW.0101",
            "no API (is the BMS endpoint right?)",
            None,
        ),
        (
            error(502, text="<b>Bad</b>\nmore", **{RID: "r4"}),
            CloudUnavailable,
            None,
            "<b>Bad</b>",
            "r4",
        ),
        (error(500, text=""), CloudUnavailable, None, "HTTP 500 Internal Server Error", None),
    ],
)
def test_error_shapes_map_to_exceptions(
    response: httpx.Response, kind: type[CloudError], code: str, message: str, request_id: str
):
    """Both error body shapes, plain text and empty bodies map to the right exception."""
    exc = error_for_response(response)
    assert type(exc) is kind
    assert (exc.code, exc.message, exc.request_id) == (code, message, request_id)
    assert exc.http_status == response.status_code


def test_retry_after_header_sets_throttle_delay():
    """A Retry-After header in seconds becomes CloudThrottled.retry_after."""
    exc = error_for_response(error(429, {"error_code": "APIGW.0308"}, **{"Retry-After": "7"}))
    assert isinstance(exc, CloudThrottled)
    assert exc.retry_after == 7.0
    assert error_for_response(error(429, text="busy")).retry_after is None  # type: ignore[attr-defined]


def test_retry_after_accepts_an_http_date():
    """A Retry-After HTTP date in the past counts as zero seconds; junk is ignored."""
    past = error_for_response(
        error(429, text="x", **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    )
    junk = error_for_response(error(429, text="x", **{"Retry-After": "soon"}))
    assert past.retry_after == 0.0  # type: ignore[attr-defined]
    assert junk.retry_after is None  # type: ignore[attr-defined]


def test_five_hundreds_may_have_been_sent_unless_refused_for_now():
    """A 5xx may have taken effect; a 503 with Retry-After was refused unprocessed."""
    plain = error_for_response(error(503, text="down"))
    refused = error_for_response(error(503, text="down", **{"Retry-After": "2"}))
    assert isinstance(plain, CloudUnavailable)
    assert plain.maybe_sent
    assert isinstance(refused, CloudUnavailable)
    assert not refused.maybe_sent

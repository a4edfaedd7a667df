"""The checks in front of Bolt: signature and timestamp (401), payload shape (400)."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest

from bot.slack.inbound import check_shape, check_signature
from tests.fakes.slack_requests import (
    SIGNING_SECRET,
    app_mention,
    block_action,
    block_action_payload,
    sign,
    slash_command,
)

NOW = 1_800_000_000
FORM = "application/x-www-form-urlencoded"


def click_body(payload: object) -> bytes:
    return urlencode({"payload": json.dumps(payload)}, quote_via=quote).encode()


def a_click(**changes: object) -> dict:
    payload = block_action_payload("bms_stop_confirm", "req_1", response_url="u", message_ts="1.2")
    payload.update(changes)
    return payload


def a_view(**changes: object) -> dict:
    view = {"type": "modal", "callback_id": "bms_reject_reason", "private_metadata": "req_1"}
    return {"type": "view_submission", "user": {"id": "U1"}, "view": view} | changes


def test_a_modal_submission_as_slack_sends_it_passes() -> None:
    """A view_submission with a user and a typed view goes on to Bolt."""
    assert check_shape(FORM, click_body(a_view())) is None


def test_real_requests_pass() -> None:
    """A command, a click and a mention as Slack sends them pass both checks."""
    for request in (
        slash_command("help", response_url="u", timestamp=NOW),
        block_action(
            "bms_stop_confirm", "req_1", response_url="u", message_ts="1.2", timestamp=NOW
        ),
        app_mention("<@U0BOT> help", ts="1.2", event_id="Ev1", timestamp=NOW),
    ):
        assert check_signature(SIGNING_SECRET, request.headers, request.body, NOW) is None
        assert check_shape(request.headers["Content-Type"], request.body) is None


@pytest.mark.parametrize("stamp", ["", " ", "abc", "1e9", "-1", "12.5", "9" * 40])
def test_garbage_timestamps_are_401(stamp: str) -> None:
    """A missing or malformed timestamp is a 401, not an exception."""
    request = slash_command("help", response_url="u", timestamp=NOW)
    headers = {**request.headers, "X-Slack-Request-Timestamp": stamp}
    refusal = check_signature(SIGNING_SECRET, headers, request.body, NOW)
    assert refusal is not None
    assert refusal.status == 401
    assert refusal.skew_seconds is None


def test_wrong_signature_is_401_without_a_skew() -> None:
    """A request signed with another secret is refused, and no clock is blamed."""
    request = slash_command("help", response_url="u", signing_secret="other", timestamp=NOW)
    refusal = check_signature(SIGNING_SECRET, request.headers, request.body, NOW)
    assert refusal is not None
    assert (refusal.status, refusal.skew_seconds) == (401, None)


@pytest.mark.parametrize("offset", [-600, 600])
def test_right_signature_wrong_clock_names_the_skew(offset: int) -> None:
    """Signed correctly but 10 minutes off: refused, with the skew in seconds."""
    request = slash_command("help", response_url="u", timestamp=NOW + offset)
    refusal = check_signature(SIGNING_SECRET, request.headers, request.body, NOW)
    assert refusal is not None
    assert refusal.skew_seconds == -offset


@pytest.mark.parametrize(
    "body",
    [
        b"payload=not-json",
        click_body([1, 2]),
        click_body("a string"),
        click_body({"type": "block_actions"}),
        click_body(a_click(user="U1")),
        click_body(a_click(user={"id": ""})),
        click_body(a_click(channel=None, container=None)),
        click_body(a_click(actions=[])),
        click_body(a_click(actions=["x"])),
        click_body(a_click(response_url=5)),
        click_body(a_click(team="T0001")),
        click_body(a_click(channel="C1")),
        click_body(a_click(container=["message"])),
        click_body(a_view(view={"callback_id": "x"})),
        click_body(a_view(view="modal")),
        click_body(a_view(user="U1")),
        click_body(a_view(view={"type": "modal", "private_metadata": 5})),
        click_body(a_view(type="view_closed", view=None) | {"view": []}),
        # Bolt's log of an interaction nobody listens to reads view["type"] when "view" is there.
        click_body({"type": "view_closed", "user": {"id": "U1"}, "view": None}),
        click_body({"type": "shortcut", "user": {"id": "U1"}, "callback_id": "x", "view": None}),
        click_body({"type": "shortcut", "user": {"id": "U1"}, "view": {"id": "V1"}}),
        click_body({"type": "shortcut", "user": {"id": "U1"}, "trigger_id": None}),
        click_body({"type": "workflow_step_edit", "user": {"id": 6.4e16}}),
        urlencode({"command": "/bms", "user_id": "", "channel_id": "C1"}).encode(),
        urlencode({"command": "/bms", "user_id": "U1", "channel_id": ""}).encode(),
        b"text=hello",
        b"\xff\xfe",
    ],
)
def test_malformed_forms_are_400(body: bytes) -> None:
    """Signed but malformed forms are refused with 400 before Bolt reads them."""
    refusal = check_shape(FORM, body)
    assert refusal is not None
    assert refusal.status == 400


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "{}",
        '"x"',
        '{"type": "event_callback"}',
        '{"type": "event_callback", "event": []}',
        '{"type": "event_callback", "event": {"type": "app_mention", "text": "hi"}}',
        '{"type": "event_callback", "event": {"type": "app_mention", "user": "U1", '
        '"channel": "C1", "text": {}}}',
        '{"type": "url_verification"}',
    ],
)
def test_malformed_events_are_400(body: str) -> None:
    """Malformed Events API bodies are refused with 400."""
    refusal = check_shape("application/json", body.encode())
    assert refusal is not None
    assert refusal.status == 400


def test_a_signed_request_of_any_bytes_has_an_answer() -> None:
    """Arbitrary bytes never raise: they are a 400 at worst."""
    for raw in (b"", b"=", b"&&&", b"payload=", b"payload=%7B", b"command=%00"):
        request = sign(raw, FORM, timestamp=NOW)
        assert check_signature(SIGNING_SECRET, request.headers, raw, NOW) is None
        refusal = check_shape(FORM, raw)
        assert refusal is None or refusal.status == 400

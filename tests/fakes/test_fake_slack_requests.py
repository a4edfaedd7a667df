"""Tests of the signed request builders against SignatureVerifier and the reference payloads."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.fakes import slack_requests

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "slack-payloads"


def test_signed_requests_verify() -> None:
    """Every builder's signature verifies with the same secret and fails with another."""
    requests = [
        slack_requests.slash_command("stop i-1", response_url="http://x/r"),
        slack_requests.block_action(
            "bms_stop_confirm", "req_1", response_url="http://x/r", message_ts="1.000100"
        ),
        slack_requests.app_mention("<@U0BOT> stop", ts="1.000200", event_id="Ev1", retry_num=1),
    ]
    good = SignatureVerifier(slack_requests.SIGNING_SECRET)
    bad = SignatureVerifier("another-secret")
    for body, headers in requests:
        assert good.is_valid_request(body, headers)
        assert not bad.is_valid_request(body, headers)
    assert requests[2].headers["X-Slack-Retry-Num"] == "1"


def test_payload_shapes_match_reference() -> None:
    """Builders produce the same keys as the reference payloads Slack sends."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference payloads not found at {REFERENCE}")
    ephemeral = json.loads((REFERENCE / "block-actions.ephemeral.json").read_text())
    in_channel = json.loads((REFERENCE / "block-actions.in-channel.json").read_text())
    mention = json.loads((REFERENCE / "event-app-mention.json").read_text())
    built = slack_requests.block_action_payload("a", "v", response_url="u", message_ts="1.1")
    assert set(built) == set(ephemeral) - {"_comment"}
    assert set(built["container"]) == set(ephemeral["container"])
    clicked = slack_requests.block_action_payload(
        "a", "v", response_url="u", message_ts="1.1", is_ephemeral=False
    )
    assert set(clicked) == set(in_channel) - {"_comment"}
    event = slack_requests.app_mention_payload("hi", ts="1.1", thread_ts="1.0", event_id="Ev")
    assert set(event) == set(mention) - {"_comment"}
    assert set(event["event"]) == set(mention["event"])


def test_slash_command_form_matches_reference() -> None:
    """The slash command body decodes to the reference fields with %20-style encoding."""
    body, headers = slack_requests.slash_command("stop a b", response_url="https://h/c")
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert fields["command"] == "/bms"
    assert fields["text"] == "stop a b"
    assert b"text=stop%20a%20b" in body
    assert b"command=%2Fbms" in body
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    if REFERENCE.is_dir():
        lines = (REFERENCE / "slash-command.form.txt").read_text().splitlines()
        names = {ln.lstrip("&").split("=")[0] for ln in lines if ln and not ln.startswith("#")}
        assert set(fields) == names - {"enterprise_id", "enterprise_name"}

"""Structured logs: JSON lines with the request id, and secrets never written."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import JsonFormatter, RedactingFilter, TextFormatter, request_id_var


@pytest.fixture
def capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(["SUPERSECRETSK", "signing-secret-123"]))
    logger = logging.getLogger("bms-test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_json_line_with_request_id(capture) -> None:
    """Each event is one JSON line carrying its fields and the current request id."""
    logger, stream = capture
    token = request_id_var.set("req_abc")
    try:
        logger.info("stop submitted", extra={"job": "j1", "chunk": 0})
    finally:
        request_id_var.reset(token)
    line = json.loads(stream.getvalue())
    assert line["event"] == "stop submitted"
    assert line["request_id"] == "req_abc"
    assert line["job"] == "j1"


def test_secrets_masked_in_message_fields_and_tracebacks(capture) -> None:
    """Known secrets and Slack-token shapes are masked everywhere in the line."""
    logger, stream = capture
    try:
        raise ValueError("SK was SUPERSECRETSK")
    except ValueError:
        logger.exception(
            "token xoxb-123-456-abc and %s", "signing-secret-123", extra={"auth": "xapp-1-A1-x"}
        )
    out = stream.getvalue()
    for secret in ("SUPERSECRETSK", "signing-secret-123", "xoxb-123-456-abc", "xapp-1-A1-x"):
        assert secret not in out
    assert "***" in out
    assert "ValueError" in out


def test_text_format() -> None:
    """The text format is one readable line with key=value fields."""
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x", "job": "j"})
    assert TextFormatter().format(record) == "INFO    x: hello job=j"


def test_request_field_becomes_request_id(capture) -> None:
    """Outside a request's context (start-up recovery), a ``request`` field is the request_id."""
    logger, stream = capture
    logger.info("recovered one", extra={"request": "req_9"})
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req_9"
    assert "request" not in line

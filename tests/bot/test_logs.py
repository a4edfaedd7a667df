"""Structured logs: JSON lines with the request id, and secrets never written."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import (
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
    redact_everywhere,
    request_id_var,
    set_role,
)


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


def test_secrets_added_later_are_redacted_too(capture) -> None:
    """A credential the bot derives at run time (an IAM token) is masked once it is known."""
    logger, stream = capture
    redact_everywhere("MIItoken-learned-later", logger)
    logger.info(
        "got MIItoken-learned-later", extra={"header": "X-Auth-Token: MIItoken-learned-later"}
    )
    assert "MIItoken-learned-later" not in stream.getvalue()


async def test_iam_token_never_reaches_the_logs(tmp_path, capsys) -> None:
    """At DEBUG, neither httpcore nor anything else writes the IAM token the bot was given."""
    from bot.backends import HuaweiCloud
    from bot.bms.client import BmsClient
    from bot.logs import setup_logging
    from bot.settings import Settings
    from simulator import start_simulator
    from tests.support.harness import new_simulator

    sim = new_simulator(iam_user="ops", iam_password="pw", iam_domain="acme")
    sim.seed(1)
    root = logging.getLogger()
    saved = (
        root.handlers[:],
        root.level,
        {n: logging.getLogger(n).level for n in ("httpcore", "httpx")},
    )
    async with await start_simulator(sim) as running:
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-1",
            slack_app_token="xapp-1",
            bms_endpoint=running.url,
            huaweicloud_iam_endpoint=running.url,
            huaweicloud_sdk_project_id=sim.project_id,
            huaweicloud_iam_username="ops",
            huaweicloud_iam_password="pw",
            huaweicloud_iam_domain="acme",
            log_level="DEBUG",
        )
        try:
            setup_logging("DEBUG", "json", ["pw"])
            cloud = HuaweiCloud(settings)
            bms = BmsClient.create(cloud.base_url, cloud.project_id, cloud.auth())
            try:
                await bms.list_servers(limit=1)
            finally:
                await bms.aclose()
        finally:
            root.handlers[:], root.level = saved[0], saved[1]
            for name, level in saved[2].items():
                logging.getLogger(name).setLevel(level)
    [token] = list(sim.tokens._tokens)
    written = capsys.readouterr().err
    assert "GET /v1/" in written  # the client's own DEBUG line was written
    assert token not in written


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(("tty", "formatter"), [(True, TextFormatter), (False, JsonFormatter)])
def test_log_format_follows_the_terminal_unless_set(tty, formatter) -> None:
    """Without LOG_FORMAT the logs are text on a terminal and JSON lines anywhere else."""
    from bot.logs import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", None, [], stream=_Stream(tty))
        assert isinstance(root.handlers[0].formatter, formatter)
        setup_logging("INFO", "json", [], stream=_Stream(True))
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], root.level = saved


def test_the_role_is_on_every_line_while_set(capture) -> None:
    """With a role set, every line names it; cleared, none does."""
    logger, stream = capture
    set_role("follower")
    try:
        logger.info("one")
    finally:
        set_role(None)
    logger.info("two")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["role"] == "follower"
    assert "role" not in second

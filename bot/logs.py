"""Structured logs: one line per event, JSON by default, tagged with the current request id.

Secrets never appear: a filter masks Slack tokens, the signing secret and the AK/SK (and
anything that looks like a Slack token) in every message and field before it is written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# This replica's part in running the scheduled work ("single", "leader", "follower"), on every
# line; set by the runtime when the role changes (``bot/store/leadership.py``).
_role: list[str] = []


def set_role(role: str | None) -> None:
    """Name this process's role on every log line from now on (None: name none)."""
    _role[:] = [role] if role else []


_TOKEN_RE = re.compile(r"xox[abprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")
_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
MASK = "***"


class RedactingFilter(logging.Filter):
    """Replaces known secrets and token-shaped strings in the message and extra fields."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Mask ``secret`` from now on (longest first, so no part of a longer one shows)."""
        if len(secret) >= 4 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _TOKEN_RE.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's extra fields, with the stop request's id under one name: ``request_id``
    (from the context, or from a ``request`` field where no context is set, as at start-up)."""
    fields = {
        k: v for k, v in vars(record).items() if k not in _STD_ATTRS and not k.startswith("_")
    }
    request = fields.pop("request", None)
    rid = request_id_var.get() or request
    tagged = {"request_id": rid, **fields} if rid else fields
    return {"role": _role[0], **tagged} if _role else tagged


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_text:
            line["traceback"] = record.exc_text
        elif record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        tail = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        head = f"{record.levelname:<7} {record.name}: {record.getMessage()}"
        text = f"{head} {tail}" if tail else head
        if record.exc_text:
            text += "\n" + record.exc_text
        return text


def redact_everywhere(secret: str, logger: logging.Logger | None = None) -> None:
    """Mask a credential learned at run time (an IAM token) in every redacting handler of
    ``logger`` (the root logger by default: where ``setup_logging`` put them)."""
    for handler in (logger or logging.getLogger()).handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(secret)


def setup_logging(
    level: str, fmt: str | None, secrets: Iterable[str], stream: TextIO | None = None
) -> None:
    """Log to ``stream`` (standard error); ``fmt`` None is text on a terminal, JSON elsewhere."""
    out = stream or sys.stderr
    chosen = fmt or ("text" if out.isatty() else "json")
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party chatter at INFO is noise (every Slack call, every scheduler tick).
    # httpcore at DEBUG writes every response header, the IAM token's X-Subject-Token included.
    for noisy in ("apscheduler", "slack_bolt", "slack_sdk", "aiohttp.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))

"""How Huawei Cloud's answers map to ``bot.bms.errors`` and to retry decisions.

    what came back                               raised
    401, or APIGW.0301 with any status           CloudAuthError
    404 APIGW.0101 (no such API: wrong endpoint) CloudRejected (config error, not a missing server)
    other 404, or BMS.0040                       CloudNotFound
    429, APIGW.0308 or BMS.0212                  CloudThrottled (``retry_after`` from Retry-After)
    503 with Retry-After                         CloudUnavailable(maybe_sent=False): refused unread
    other 5xx                                    CloudUnavailable(maybe_sent=True)
    any other 4xx                                CloudRejected
    2xx without the JSON object expected         CloudUnavailable(maybe_sent=True)
    ConnectError, ConnectTimeout, PoolTimeout    CloudUnavailable(maybe_sent=False): never sent
    other httpx errors (read timeout, protocol)  CloudUnavailable(maybe_sent=True)

Code, message and request id come from either error body: BMS ``{"error": {"code", "message"}}``
or the API gateway's flat ``{"error_code", "error_msg", "request_id"}``; the request id otherwise
from the ``X-Request-Id`` header; a body that is not JSON gives its first line as the message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypedDict

import httpx

from bot.bms.errors import (
    CloudAuthError,
    CloudError,
    CloudNotFound,
    CloudRejected,
    CloudThrottled,
    CloudUnavailable,
)
from bot.retry import RetryDecision

_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_THROTTLE_CODES = frozenset({"APIGW.0308", "BMS.0212"})


@dataclass(frozen=True, slots=True)
class ErrorDetails:
    """What Huawei said about a failed call."""

    code: str | None
    message: str
    request_id: str | None


class _ErrorFields(TypedDict):
    code: str | None
    http_status: int | None
    request_id: str | None


class _RefusedForNow(CloudUnavailable):
    """A 503 with Retry-After: refused before processing, so even the stop POST may be retried."""

    def __init__(self, message: str, *, retry_after: float, **kw: object) -> None:
        super().__init__(message, maybe_sent=False, **kw)
        self.retry_after = retry_after


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def error_details(response: httpx.Response) -> ErrorDetails:
    """Code, message and request id from either error body shape, the headers, or plain text."""
    body = json_or_none(response)
    fields: dict[str, Any] = body if isinstance(body, dict) else {}
    nested = fields.get("error")
    if isinstance(nested, dict):
        code, message = nested.get("code"), nested.get("message")
    else:
        code, message = fields.get("error_code"), fields.get("error_msg")
    text = response.text.strip() if body is None else ""
    fallback = text.splitlines()[0][:200] if text else ""
    fallback = fallback or f"HTTP {response.status_code} {response.reason_phrase}".strip()
    request_id = fields.get("request_id") or response.headers.get("X-Request-Id")
    return ErrorDetails(_text(code), _text(message) or fallback, _text(request_id))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds from now (seconds or an HTTP date); None if absent or junk."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def error_for_response(response: httpx.Response) -> CloudError:
    """Map a non-2xx answer to the exception tree (see the module docstring)."""
    details = error_details(response)
    status, code, message = response.status_code, details.code, details.message
    kw = _ErrorFields(code=code, http_status=status, request_id=details.request_id)
    hint = retry_after_seconds(response)
    if status == 429 or code in _THROTTLE_CODES:
        return CloudThrottled(message, retry_after=hint, **kw)
    if status == 503 and hint is not None:
        return _RefusedForNow(message, retry_after=hint, **kw)
    if code == "APIGW.0101":
        message += " (is the BMS endpoint right?)"
    return _error_class(status, code)(message, **kw)


def _error_class(status: int, code: str | None) -> type[CloudError]:
    if status == 401 or code == "APIGW.0301":
        return CloudAuthError
    if (status == 404 and code != "APIGW.0101") or code == "BMS.0040":
        return CloudNotFound
    return CloudUnavailable if status >= 500 else CloudRejected  # maybe_sent defaults to True


def error_for_transport(exc: httpx.HTTPError) -> CloudUnavailable:
    """Map an httpx failure: only a failed connect proves the request was never sent."""
    never_sent = isinstance(exc, _NEVER_SENT)
    what = "could not reach" if never_sent else "no complete answer from"
    return CloudUnavailable(
        f"{what} Huawei Cloud ({type(exc).__name__})", maybe_sent=not never_sent
    )


def _hint(exc: Exception) -> float | None:
    hint = getattr(exc, "retry_after", None)
    return hint if isinstance(hint, float) else None


def retry_read(exc: Exception) -> RetryDecision:
    """GETs change nothing, so retry throttling and any unavailability."""
    if isinstance(exc, CloudThrottled | CloudUnavailable):
        return _hint(exc)
    return False


def retry_submit(exc: Exception) -> RetryDecision:
    """Retry a POST only when it cannot have been submitted: a second stop must never go out."""
    unsent = isinstance(exc, CloudUnavailable) and not exc.maybe_sent
    return _hint(exc) if unsent or isinstance(exc, CloudThrottled) else False

"""The API gateway's authentication: AK/SK signatures and IAM tokens, refused as APIGW.0301.

AK/SK requests are checked with the same functions the client signs with (``bot.bms.signing``),
over exactly what arrived: method, decoded path (``canonical_uri`` re-encodes it and adds the
signing slash), query pairs, the headers named in SignedHeaders and the body bytes. ``host`` and
``x-sdk-date`` must be signed and the date must be within 15 minutes of the simulator's clock.
Like Huawei, five failures in a row lock the AK for five minutes, and a failed signature's message
carries the canonical request the gateway computed, newlines as ``|``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.bms import signing
from simulator.responses import SimError

MAX_SKEW_SECONDS = 15 * 60
LOCK_AFTER_FAILURES = 5
LOCK_SECONDS = 5 * 60
TOKEN_SECONDS = 24 * 3600
_REQUIRED_SIGNED = ("host", "x-sdk-date")


def auth_error(detail: str) -> SimError:
    return SimError(401, "APIGW.0301", f"Incorrect IAM authentication information: {detail}")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """What the gateway saw, in the form the signing functions take."""

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class AkSkVerifier:
    """Checks ``SDK-HMAC-SHA256`` signatures for the known AK/SK pairs."""

    def __init__(self, credentials: Mapping[str, str], clock: Callable[[], float]) -> None:
        self._secrets = dict(credentials)
        self._clock = clock
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def verify(self, request: ReceivedRequest) -> str:
        """Return the AK that signed ``request``, or raise the gateway's 401."""
        parts = signing.parse_authorization(request.headers.get("authorization", ""))
        if parts is None:
            raise auth_error("verify aksk signature fail, Authorization header is malformed")
        access_key = parts["Access"]
        secret_key = self._secrets.get(access_key)
        if secret_key is None:
            raise auth_error("Get secretKey failed")
        if self._clock() < self._locked_until.get(access_key, float("-inf")):
            raise auth_error("AK access failed to reach the limit,forbidden.")
        try:
            self._check(request, parts, secret_key)
        except SimError:
            self._record_failure(access_key)
            raise
        self._failures.pop(access_key, None)
        return access_key

    def _check(self, request: ReceivedRequest, parts: dict[str, str], secret_key: str) -> None:
        signed = parts["SignedHeaders"].split(";")
        missing = [n for n in (*_REQUIRED_SIGNED, *signed) if n not in request.headers]
        if missing or not set(_REQUIRED_SIGNED) <= set(signed):
            raise auth_error("verify aksk signature fail, host and x-sdk-date must be signed")
        sdk_date = request.headers["x-sdk-date"]
        self._check_date(sdk_date)
        canonical = signing.canonical_request(
            request.method, request.path, request.query, request.headers, signed, request.body
        )
        expected = signing.signature(secret_key, sdk_date, canonical)
        if not hmac.compare_digest(expected, parts["Signature"]):
            shown = canonical.replace("\n", "|")
            raise auth_error(f"verify aksk signature fail, canonicalRequest:{shown}")

    def _check_date(self, sdk_date: str) -> None:
        try:
            when = datetime.strptime(sdk_date, signing.DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise auth_error("verify aksk signature fail, X-Sdk-Date is malformed") from None
        if abs(when.timestamp() - self._clock()) > MAX_SKEW_SECONDS:
            raise auth_error("verify aksk signature fail, X-Sdk-Date is more than 15 minutes off")

    def _record_failure(self, access_key: str) -> None:
        count = self._failures.get(access_key, 0) + 1
        self._failures[access_key] = count
        if count >= LOCK_AFTER_FAILURES:
            self._failures.pop(access_key)
            self._locked_until[access_key] = self._clock() + LOCK_SECONDS


class TokenStore:
    """IAM tokens the simulator issued: opaque strings valid for 24 hours, one project each."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def issue(self, project_id: str) -> tuple[str, float]:
        """A new token for ``project_id`` and its expiry (epoch seconds)."""
        token = "MIIsim" + secrets.token_urlsafe(48)
        expires = self._clock() + TOKEN_SECONDS
        self._tokens[token] = (project_id, expires)
        return token, expires

    def project_of(self, token: str) -> str:
        """The project a live token is scoped to, or the gateway's 401."""
        found = self._tokens.get(token)
        if found is None or self._clock() >= found[1]:
            raise auth_error("decrypt token fail")
        return found[0]

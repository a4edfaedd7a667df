"""IAM-token authentication for the BMS client, as an ``httpx.Auth``: the alternative to AK/SK.

The token comes from ``POST {iam}/v3/auth/tokens`` with a password identity scoped to the
project: 201, the token in the ``X-Subject-Token`` header, ``token.expires_at`` in the body (tokens
live 24 h). It is sent as ``X-Auth-Token``, cached, fetched again an hour before it expires, and
fetched again once when the API answers 401 (that request is then sent once more: a 401 was never
processed).

The token request is yielded from the auth flow, so it goes through the client's own transport (and
its test double); an ``asyncio.Lock`` makes concurrent requests share one fetch. IAM refusing the
credentials raises ``CloudAuthError``; IAM failing (5xx, 429) raises ``CloudUnavailable`` with
``maybe_sent=False``, since the API request itself never left.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.bms.errors import CloudAuthError, CloudUnavailable
from bot.bms.responses import error_details

TOKEN_HEADER = "X-Auth-Token"  # noqa: S105  # a header name, not a secret
SUBJECT_TOKEN_HEADER = "X-Subject-Token"  # noqa: S105  # a header name, not a secret
DEFAULT_LIFETIME = timedelta(hours=24)  # IAM's documented validity, if the body does not say


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def parse_expiry(body: Any, now: datetime) -> datetime:
    """``token.expires_at`` (``2026-11-28T15:00:00.000000Z``) as aware datetime, else now + 24 h."""
    token = body.get("token") if isinstance(body, dict) else None
    raw = token.get("expires_at") if isinstance(token, dict) else None
    try:
        when = datetime.fromisoformat(str(raw))
    except ValueError:
        return now + DEFAULT_LIFETIME
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class IamTokenAuth(httpx.Auth):
    """Adds an IAM token to every request, fetching and refreshing it as needed (async only)."""

    requires_request_body = True  # a request refused with 401 is sent again, body and all

    def __init__(
        self,
        iam_base_url: str,
        username: str,
        password: str,
        domain: str,
        project_id: str,
        *,
        refresh_before: timedelta = timedelta(hours=1),
        timeout: float = 15.0,
        clock: Callable[[], datetime] = _utcnow,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        self._url = iam_base_url.rstrip("/") + "/v3/auth/tokens"
        self._username = username
        self._password = password
        self._domain = domain
        self._project_id = project_id
        self._refresh_before = refresh_before
        self._timeout = httpx.Timeout(timeout)
        self._clock = clock
        self._on_token = on_token  # told every new token, so the logs can mask it
        self._token: str | None = None
        self._refresh_at = self._expires_at = datetime.min.replace(tzinfo=UTC)
        self._lock = asyncio.Lock()

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("IamTokenAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._clock() >= self._refresh_at:
            async with self._lock:
                if self._clock() >= self._refresh_at:  # another request may have fetched it
                    token_response = yield self._token_request()
                    await self._accept(token_response, keep_valid=True)
        used = self._token
        request.headers[TOKEN_HEADER] = self._current()
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock:
            if self._token == used:  # nobody refreshed since this request went out
                token_response = yield self._token_request()
                await self._accept(token_response)
        request.headers[TOKEN_HEADER] = self._current()
        yield request

    def _current(self) -> str:
        if self._token is None:  # _accept either stores a token or raises
            raise CloudAuthError("no IAM token")
        return self._token

    def _token_request(self) -> httpx.Request:
        user = {
            "name": self._username,
            "password": self._password,
            "domain": {"name": self._domain},
        }
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {"project": {"id": self._project_id}},
            }
        }
        # Yielded requests skip the client's defaults, so the timeout must ride along explicitly.
        return httpx.Request(
            "POST", self._url, json=body, extensions={"timeout": self._timeout.as_dict()}
        )

    async def _accept(self, response: httpx.Response, *, keep_valid: bool = False) -> None:
        """Store the token from IAM's answer, or raise the right CloudError.

        With ``keep_valid``, an IAM outage during an early refresh keeps the token still in hand.
        """
        await response.aread()
        token = response.headers.get(SUBJECT_TOKEN_HEADER)
        if response.is_success and token:
            now = self._clock()
            expires_at = parse_expiry(_json_or_none(response), now)
            # Short-lived tokens refresh halfway through, not on every request.
            early = max(timedelta(0), min(self._refresh_before, (expires_at - now) / 2))
            self._token, self._expires_at, self._refresh_at = token, expires_at, expires_at - early
            if self._on_token is not None:
                self._on_token(token)
            return
        details = error_details(response)
        kw: dict[str, Any] = {"http_status": response.status_code, "request_id": details.request_id}
        if response.status_code >= 500 or response.status_code == 429:
            if keep_valid and self._token and self._clock() < self._expires_at:
                return
            raise CloudUnavailable(f"IAM is unavailable: {details.message}", maybe_sent=False, **kw)
        what = "answered without a token" if response.is_success else "refused the credentials"
        raise CloudAuthError(
            f"IAM {what} (user {self._username!r}, domain {self._domain!r}): {details.message}",
            code=details.code,
            **kw,
        )

"""Huawei Cloud AK/SK request signing (``SDK-HMAC-SHA256``), as functions and an httpx.Auth.

The canonical request is six lines: method, canonical URI (segments percent-encoded, a
trailing ``/`` added for signing only), canonical query (sorted, encoded), canonical headers,
signed header names and the hex SHA-256 of the exact body bytes. The simulator verifies with
the same functions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator, Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_uri(path: str) -> str:
    """Percent-encode each segment and add the trailing slash used only for signing."""
    segments = [_encode(seg) for seg in path.split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


# Set by the transport after signing in the official SDK, or rewritten by proxies: never signed.
UNSIGNED = frozenset(
    {"authorization", "content-length", "connection", "accept", "accept-encoding", "user-agent"}
)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Sign what the SDK signs: every header but transport ones and names containing ``_``."""
    return sorted({n.lower() for n in headers if "_" not in n and n.lower() not in UNSIGNED})


def canonical_request(  # noqa: PLR0917 - the six parts, in the order Huawei documents them
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes,
) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    header_lines = "".join(f"{name}:{lowered[name].strip()}\n" for name in signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            header_lines,
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def signature(secret_key: str, sdk_date: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{sdk_date}\n{digest}"
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(access_key: str, signed: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def parse_authorization(value: str) -> dict[str, str] | None:
    """Split an ``SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`` ; None if malformed."""
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    parts: dict[str, str] = {}
    for item in value[len(prefix) :].split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            return None
        parts[key] = val
    if not {"Access", "SignedHeaders", "Signature"} <= parts.keys():
        return None
    return parts


def sign_request(
    request: httpx.Request, access_key: str, secret_key: str, now: datetime | None = None
) -> None:
    """Add ``X-Sdk-Date`` (unless pinned already) and ``Authorization`` to ``request`` in place."""
    if DATE_HEADER not in request.headers:
        request.headers[DATE_HEADER] = (now or datetime.now(UTC)).strftime(DATE_FORMAT)
    headers = dict(request.headers.items())
    signed = signed_header_names(headers)
    canonical = canonical_request(
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        headers,
        signed,
        request.content,
    )
    sig = signature(secret_key, request.headers[DATE_HEADER], canonical)
    request.headers["Authorization"] = authorization_header(access_key, signed, sig)


class AkSkAuth(httpx.Auth):
    """Signs every request with AK/SK; later headers stay unsigned."""

    requires_request_body = True

    def __init__(self, access_key: str, secret_key: str, project_id: str | None = None) -> None:
        self._ak = access_key
        self._sk = secret_key
        self._project_id = project_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._project_id:
            request.headers["X-Project-Id"] = self._project_id
        sign_request(request, self._ak, self._sk)
        yield request

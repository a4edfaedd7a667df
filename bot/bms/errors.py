"""The errors the BMS client raises; nothing above the client sees httpx.

CloudError                      any failure talking to Huawei Cloud
├── CloudAuthError              APIGW.0301: bad AK/SK signature, token or clock skew
├── CloudNotFound               404, BMS.0040: the server or job does not exist
├── CloudThrottled              429 APIGW.0308, BMS.0212: slow down (``retry_after`` if known)
├── CloudUnavailable            5xx, network failure or timeout (``maybe_sent``: the call may have
│                               reached Huawei, so a non-idempotent call may have taken effect)
└── CloudRejected               any other 4xx: invalid input, no permission, wrong state
"""

from __future__ import annotations


class CloudError(Exception):
    """A failed call to Huawei Cloud, with the code and message Huawei gave, if any."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"HTTP {self.http_status}" if self.http_status else "no response"
        code = f"{self.code}: " if self.code else ""
        return f"{code}{self.message} ({where})"


class CloudAuthError(CloudError):
    """Huawei Cloud rejected the credentials (signature, token, or clock)."""


class CloudNotFound(CloudError):
    """The server or job does not exist in this project."""


class CloudThrottled(CloudError):
    """Huawei Cloud asked us to slow down."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class CloudUnavailable(CloudError):
    """Huawei Cloud failed or did not answer; ``maybe_sent`` if the request may have arrived."""

    def __init__(self, message: str, *, maybe_sent: bool = True, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.maybe_sent = maybe_sent


class CloudRejected(CloudError):
    """Huawei Cloud refused the request (invalid input, no permission, wrong server state)."""

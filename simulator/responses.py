"""The simulator's error responses, in the two shapes Huawei Cloud uses.

The API gateway answers for itself (routing, auth, throttling) with a flat body
``{"error_code": "APIGW.0308", "error_msg": "...", "request_id": "..."}``; the BMS service behind it
answers ``{"error": {"code": "BMS.0040", "message": "..."}}``. Handlers raise ``SimError`` and the
gateway middleware renders it with the request's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

REQUEST_ID_HEADER = "X-Request-Id"


class SimError(Exception):
    """An error answer: HTTP status, Huawei code and message; flat (gateway) shape for APIGW.*."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        flat: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.flat = code.startswith("APIGW.") if flat is None else flat
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        if self.flat:
            return {"error_code": self.code, "error_msg": self.message, "request_id": request_id}
        return {"error": {"code": self.code, "message": self.message}}

    def response(self, request_id: str) -> web.Response:
        return web.json_response(self.body(request_id), status=self.status, headers=self.headers)


def bad_parameter(message: str, code: str = "BMS.0018") -> SimError:
    """400 invalid parameter, the BMS service's usual answer to a request it will not run."""
    return SimError(400, code, message)


def no_such_api() -> SimError:
    return SimError(
        404, "APIGW.0101", "The API does not exist or has not been published in the environment."
    )

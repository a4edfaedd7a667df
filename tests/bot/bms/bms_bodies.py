"""Huawei error answers as the client and the mapping tests build them."""

from __future__ import annotations

from typing import Any

import httpx


def error(status: int, body: Any = None, text: str = "", **headers: str) -> httpx.Response:
    if body is not None:
        return httpx.Response(status, json=body, headers=headers)
    return httpx.Response(status, text=text, headers=headers)


def bms(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def gateway(code: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    return {"error_code": code, "error_msg": message} | (
        {"request_id": request_id} if request_id else {}
    )


BMS_BODY = bms("BMS.0039", "server already stopped")
RID = "X-Request-Id"

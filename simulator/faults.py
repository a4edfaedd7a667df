"""Fault injection: make the next few matching requests fail, hang or lose their answer.

A fault with a ``status`` answers with that error instead of running the request (flat gateway shape
for APIGW.* codes, BMS shape otherwise, or as ``flat`` says). A fault without a ``status`` lets the
request run and take effect, then delays or drops the answer: the case where a client times out on
a stop that the cloud did accept. ``delay`` holds the answer back that many (real) seconds; ``drop``
closes the connection without answering; ``garble`` answers 200 with a body that is not JSON.

Kinds name the API: "stop" (also "start", "reboot": the batch action endpoint, by the action in the
body), "list", "server", "job", "iam" (the token endpoint) or "any".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulator.responses import SimError

FaultKind = Literal["stop", "start", "reboot", "job", "list", "server", "iam", "any"]


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    status: int | None
    code: str | None
    message: str
    times: int
    retry_after: float | None = None
    delay: float = 0.0
    flat: bool | None = None
    drop: bool = False
    garble: bool = False

    @property
    def runs_request(self) -> bool:
        """A fault without a status lets the request take effect and only mangles the answer."""
        return self.status is None

    def error(self) -> SimError:
        if self.status is None or self.code is None:
            raise ValueError("this fault does not answer with an error")
        headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        return SimError(self.status, self.code, self.message, flat=self.flat, headers=headers)


class Faults:
    """The pending faults, consumed first-added first."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(
        self,
        kind: FaultKind,
        status: int | None = None,
        code: str | None = None,
        message: str = "Injected fault.",
        *,
        times: int = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
        flat: bool | None = None,
        drop: bool = False,
        garble: bool = False,
    ) -> Fault:
        if times < 1:
            raise ValueError("times must be at least 1")
        if (status is None) != (code is None):
            raise ValueError("give both status and code, or neither")
        if status is None and delay <= 0 and not drop and not garble:
            raise ValueError("a fault needs a status, a delay, drop or garble")
        fault = Fault(kind, status, code, message, times, retry_after, delay, flat, drop, garble)
        self.pending.append(fault)
        return fault

    def take(self, kind: str) -> Fault | None:
        """The first pending fault for ``kind`` (or "any"), counting this request against it."""
        for fault in self.pending:
            if fault.kind in (kind, "any"):
                fault.times -= 1
                if fault.times == 0:
                    self.pending.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.pending.clear()

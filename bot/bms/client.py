"""The async Huawei Cloud BMS client: the only code in the bot that knows httpx.

One long-lived ``httpx.AsyncClient`` with explicit timeouts, an injectable transport, and auth as an
``httpx.Auth`` (``bot.bms.signing.AkSkAuth`` or ``bot.bms.token_auth.IamTokenAuth``). Every failure
leaves as a ``bot.bms.errors`` exception, never an httpx one; ``bot.bms.responses`` says which.

Retries (``bot.retry``): GETs retry throttling and unavailability. The stop POST retries only what
cannot have been submitted: throttling, a 503 with Retry-After, and failures to connect.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from bot import metrics
from bot.bms.errors import (
    CloudError,
    CloudNotFound,
    CloudUnavailable,
)
from bot.bms.models import (
    MAX_STOP_BATCH,
    Job,
    Server,
    StopAccepted,
    is_job_id,
    parse_job,
    parse_server,
)
from bot.bms.pace import Pace
from bot.bms.responses import (
    error_for_response,
    error_for_transport,
    json_or_none,
    retry_read,
    retry_submit,
)
from bot.retry import RetryPolicy, retry_call

logger = logging.getLogger("bot.bms.client")

MAX_PAGE = 1000  # the list API's largest limit
FEW_IDS = 5  # up to this many ids, single GETs are cheaper than paging the whole project
# Huawei allows 1,000 single reads a minute and 500 list calls (reference doc, §5): one list page
# costs as much of the budget as two single GETs.
GETS_PER_PAGE = 2
GET_CONCURRENCY = 5
MAX_IN_FLIGHT = 32  # calls on the wire at once, per process
STOP_SLOTS = 4  # of which kept for stop POSTs
JOB_SLOTS = 8  # and for job queries, so a paced query goes out on its turn, not behind lookups
DEFAULT_JOB_QUERIES_PER_MINUTE = 2000.0  # Huawei's job-query limit (reference doc, §5)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


class BmsClient:
    """Lists, looks up and stops servers of one project, and reads job status."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        project_id: str,
        retry: RetryPolicy,
        *,
        job_queries_per_minute: float = DEFAULT_JOB_QUERIES_PER_MINUTE,
    ) -> None:
        self._http = http
        self._job_pace = Pace(job_queries_per_minute)
        self._prefix = f"/v1/{quote(project_id, safe='')}"
        self._retry = retry
        self._project_size: int | None = None  # the last unfiltered list's count
        # httpcore's pool spends CPU in proportion to queued x open connections: under a burst
        # (200 commands → 700 lookups) that starves the event loop and delays Slack acks past 3 s.
        # Queue here instead, where waiting costs nothing.
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT - STOP_SLOTS - JOB_SLOTS)
        # Stops never queue behind a burst of lookups: a claimed stop must go out at once, or
        # recovery could take its claim for a dead sender's.
        self._stop_slots = asyncio.Semaphore(STOP_SLOTS)
        # Nor do job queries: one that waited its turn and then waited again for a slot would go
        # out together with the queries behind it, and a bunch crosses the limit.
        self._job_slots = asyncio.Semaphore(JOB_SLOTS)
        self.last_date: str | None = None  # the Date header of the last answer, to check clocks

    @classmethod
    def create(
        cls,
        base_url: str,
        project_id: str,
        auth: httpx.Auth,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        job_queries_per_minute: float = DEFAULT_JOB_QUERIES_PER_MINUTE,
    ) -> BmsClient:
        """Build the client and its one ``httpx.AsyncClient``; close it with ``aclose()``."""
        http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json"},
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT
            ),
        )
        return cls(
            http, project_id, retry or RetryPolicy(), job_queries_per_minute=job_queries_per_minute
        )

    async def list_servers(
        self,
        *,
        page: int = 1,
        limit: int = MAX_PAGE,
        name: str | None = None,
        status: str | None = None,
    ) -> tuple[int, list[Server]]:
        """One page of servers and the total count; ``page`` is the API's 1-based ``offset``."""
        if page < 1 or not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"page must be >= 1 and limit 1..{MAX_PAGE}")
        params: dict[str, str | int] = {"offset": page, "limit": limit}
        params |= {k: v for k, v in (("name", name), ("status", status)) if v is not None}
        body = await self._read(f"{self._prefix}/baremetalservers/detail", params)
        raw = body.get("servers")
        if not isinstance(raw, list):
            raise CloudUnavailable("the server list came back without servers", http_status=200)
        servers = [parse_server(s) for s in raw if isinstance(s, dict) and s.get("id")]
        count = body.get("count")
        if isinstance(count, int) and name is None and status is None:
            self._project_size = count
        return (count if isinstance(count, int) else len(servers)), servers

    async def get_server(self, server_id: str) -> Server | None:
        """The server, or None if this project has no such server (404 or 400 BMS.0040)."""
        if not _SAFE_ID.fullmatch(server_id):
            return None  # cannot be a server id, and must not reach a URL path
        try:
            body = await self._read(f"{self._prefix}/baremetalservers/{server_id}")
        except CloudNotFound:
            return None
        raw = body.get("server")
        if not isinstance(raw, dict) or not raw.get("id"):
            raise CloudUnavailable("the server came back without an id", http_status=200)
        return parse_server(raw)

    async def find_servers(self, ids: Sequence[str]) -> dict[str, Server]:
        """The servers among ``ids`` that exist, keyed by the id asked for; unknown ids absent."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        if len(wanted) <= self._few_ids():
            return await self._get_each(wanted)
        return await self._scan_for(set(wanted))

    def _few_ids(self) -> int:
        """Up to how many ids single GETs cost less than a scan of the list may (every page, in
        the worst case): ``FEW_IDS`` until a listing told the project's size."""
        if self._project_size is None:
            return FEW_IDS
        pages = math.ceil(self._project_size / MAX_PAGE)
        return max(FEW_IDS, GETS_PER_PAGE * pages)

    async def _get_each(self, ids: list[str]) -> dict[str, Server]:
        gate = asyncio.Semaphore(GET_CONCURRENCY)

        async def one(server_id: str) -> Server | None:
            async with gate:
                return await self.get_server(server_id)

        # return_exceptions: every GET finishes (none is left running), then the first error wins.
        results = await asyncio.gather(*(one(i) for i in ids), return_exceptions=True)
        found: dict[str, Server] = {}
        for server_id, result in zip(ids, results, strict=True):
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                found[server_id] = result
        return found

    async def _scan_for(self, wanted: set[str]) -> dict[str, Server]:
        found: dict[str, Server] = {}
        async for servers in self._pages():
            found |= {s.id: s for s in servers if s.id in wanted}
            if wanted <= found.keys():
                break
        return found

    async def all_servers(self) -> list[Server]:
        """Every server of the project, page by page (``tag:`` selections)."""
        return [server async for servers in self._pages() for server in servers]

    async def _pages(self) -> AsyncIterator[list[Server]]:
        """The list API's pages, new servers only, until a short page."""
        seen: set[str] = set()
        page = 1
        while True:
            _, servers = await self.list_servers(page=page, limit=MAX_PAGE)
            new = [s for s in servers if s.id not in seen]
            seen |= {s.id for s in new}
            yield new
            # A page with nothing new means the API ignored offset: stop rather than loop forever.
            if len(servers) < MAX_PAGE or not new:
                return
            page += 1

    async def stop_servers(self, ids: Sequence[str], *, soft: bool = False) -> str:
        """Submit one ``os-stop`` job for 1..1000 servers and return its job id."""
        return (await self.submit_stop(ids, soft=soft)).job_id

    async def submit_stop(self, ids: Sequence[str], *, soft: bool = False) -> StopAccepted:
        """``stop_servers``, with Huawei's request id of the call that was accepted."""
        unique = list(dict.fromkeys(ids))
        if not 1 <= len(unique) <= MAX_STOP_BATCH:
            raise ValueError(f"stop takes 1 to {MAX_STOP_BATCH} servers a call, got {len(unique)}")
        payload = {
            "os-stop": {"type": "SOFT" if soft else "HARD", "servers": [{"id": i} for i in unique]}
        }
        path = f"{self._prefix}/baremetalservers/action"
        body, request_id = await retry_call(
            lambda: self._exchange("POST", path, json=payload),
            self._retry,
            retry_submit,
            operation=f"POST {path}",
        )
        job_id = body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise CloudUnavailable("the stop was accepted without a job id", http_status=200)
        return StopAccepted(job_id, request_id)

    async def get_job(self, job_id: str) -> Job:
        """The job's status and sub-jobs, within the job-query limit (waiting for a turn)."""
        if not is_job_id(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        path = f"{self._prefix}/jobs/{job_id}"
        await self._job_pace.turn()  # the first turn is waited outside the retry budget
        attempts = 0

        async def attempt() -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            if attempts > 1:  # a retry is one more query against the limit: it takes a turn too
                await self._job_pace.turn()
            body, _ = await self._exchange("GET", path, slots=self._job_slots)
            return body

        body = await retry_call(attempt, self._retry, retry_read, operation=f"GET {path}")
        return parse_job(body)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _read(self, path: str, params: dict[str, str | int] | None = None) -> dict[str, Any]:
        return await retry_call(
            lambda: self._call("GET", path, params=params),
            self._retry,
            retry_read,
            operation=f"GET {path}",
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """One exchange, logged; a JSON object back, or the mapped exception."""
        body, _ = await self._exchange(method, path, params=params, json=json)
        return body

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        json: Any = None,
        slots: asyncio.Semaphore | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """``_call``, with the answer's ``X-Request-Id``; ``slots`` says which connection slots it
        waits for (by default the stop POST's own, or the lookups')."""
        started = time.perf_counter()
        if slots is None:
            slots = self._stop_slots if method == "POST" else self._in_flight
        try:
            async with slots:
                response = await self._http.request(method, path, params=params, json=json)
        except httpx.HTTPError as exc:
            _log(logging.WARNING, started, method, path, error=type(exc).__name__)
            raise error_for_transport(exc) from exc
        self.last_date = response.headers.get("Date") or self.last_date
        if not response.is_success:
            error = error_for_response(response)
            _log(logging.WARNING, started, method, path, status=response.status_code, error=error)
            raise error
        request_id = response.headers.get("X-Request-Id")
        level = logging.DEBUG if method == "GET" else logging.INFO
        _log(
            level, started, method, path, status=response.status_code, huawei_request_id=request_id
        )
        body = json_or_none(response)
        if not isinstance(body, dict):
            raise CloudUnavailable(
                "Huawei Cloud answered without a JSON object",
                http_status=response.status_code,
                request_id=request_id,
            )
        return body, request_id


def _log(level: int, started: float, method: str, path: str, **fields: object) -> None:
    """One structured line per call; only method, path and Huawei's answer, never headers."""
    error = fields.pop("error", None)
    if isinstance(error, CloudError):
        fields |= {
            "huawei_request_id": error.request_id,
            "error": error.code or type(error).__name__,
        }
    elif error is not None:
        fields["error"] = error
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    metrics.huawei_call(method, path, str(fields.get("status") or fields.get("error")))
    extra = {"method": method, "path": path, "duration_ms": duration_ms} | fields
    logger.log(level, "%s %s -> %s", method, path, fields.get("status") or error, extra=extra)

"""A fake Slack served over real HTTP and WebSocket on 127.0.0.1, for scenario tests.

Point `AsyncWebClient(base_url=fake.api_url)` at it (and a Socket Mode client's web client too).
It answers like Slack does: HTTP 200 with `ok: false` for API errors, HTTP 429 + `Retry-After` +
`ratelimited` over a method's rate limit, and it rejects what real Slack rejects (bad tokens,
missing scopes or channel membership, invalid Block Kit or modals, oversized messages, stale
trigger ids) so a lenient fake cannot hide a bug. Everything it receives is recorded for
assertions; people and groups are arranged with `add_user`/`update_user`/`add_usergroup`.

    async with FakeSlack() as slack:
        slack.add_channel("C1")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        await client.chat_postMessage(channel="C1", text="hi")
        await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.slack_directory import User, UserGroup
from tests.fakes.slack_files import Files
from tests.fakes.slack_records import (
    DEFAULT_RATE_LIMITS,
    Call,
    ChannelPostLimiter,
    Ephemeral,
    OpenedView,
    PostedMessage,
    RateLimiter,
    ResponsePost,
)
from tests.fakes.slack_response_url import ResponseUrls
from tests.fakes.slack_socket import Ack, EnvelopeType, SocketModeHub
from tests.fakes.slack_views import Views
from tests.fakes.slack_workspace import DEFAULT_SCOPES, Channel, SlackError, Workspace

# Arguments that arrive as JSON strings in a form body, and Slack's error when they do not parse.
_JSON_FIELDS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
}


@dataclass
class _Failure:
    error: str
    status: int
    times: int
    html: bool = False  # answer with an HTML error page, as Slack's edge and proxies do on 5xx
    lose_answer: bool = False  # do the call, then close the connection without answering


class _HtmlPage(Exception):
    """Answer with an HTML page instead of Slack's JSON."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class FakeSlack:
    """Slack Web API, response_url and Socket Mode endpoints backed by an in-memory workspace."""

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        team_id: str = "T0001",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        *,
        app_id: str = "A123456",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        rate_limits: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        ts_base: int | None = None,
    ) -> None:
        """`rate_limits` REPLACES the defaults (chat.update 50/min, usergroups.list and
        usergroups.users.list 20/min); `{}` disables them all, the per-channel
        chat.postMessage limit (a burst of 5, then 1 a second) included. `clock` ages rate
        windows, response_urls and trigger ids."""
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.bot_user_id, self.bot_id = team_id, bot_user_id, bot_id
        self.workspace = Workspace(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            scopes=scopes,
            ts_base=int(time.time()) if ts_base is None else ts_base,
        )
        self.socket = SocketModeHub(app_id)
        self.rate_limiter = RateLimiter(DEFAULT_RATE_LIMITS if rate_limits is None else rate_limits)
        self.channel_posts = ChannelPostLimiter() if rate_limits is None or rate_limits else None
        self.calls: list[Call] = []
        self._clock = clock
        self._urls = ResponseUrls(self.workspace, clock)
        self._views = Views(team_id=team_id, app_id=app_id, bot_id=bot_id, clock=clock)
        self._failures: dict[str, list[_Failure]] = {}
        self._lost: dict[str, bool] = {}  # the current call's answer is to be lost
        self.files = Files(self.workspace, lambda: self.base_url)
        self._handlers = self.workspace.handlers() | self._views.handlers() | self.files.handlers()
        self._activity = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{url_id}", self._response)
        app.router.add_post("/upload/v1/{ticket}", self.files.receive)
        app.router.add_get("/link/", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- arranging state ---------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        *,
        member: bool = True,
        private: bool = False,
        name: str | None = None,
        users: Iterable[str] | None = None,
    ) -> None:
        """`users=None` puts every user in the channel (matters for chat.postEphemeral)."""
        members = None if users is None else frozenset(users)
        channel = Channel(channel_id, name or channel_id.lower(), member, private, members)
        self.workspace.channels[channel_id] = channel

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        restricted: bool = False,
        ultra_restricted: bool = False,
        deleted: bool = False,
        is_bot: bool = False,
        tz: str = "UTC",
        tz_offset: int = 0,
        display_name: str | None = None,
        real_name: str | None = None,
        tz_label: str | None = None,
    ) -> User:
        """Add (or replace) a member; see `Workspace.add_user`. `tz_offset` is not derived from
        `tz`: pass both (seconds east of UTC) when the offset matters."""
        return self.workspace.add_user(
            user_id,
            name=name,
            restricted=restricted,
            ultra_restricted=ultra_restricted,
            deleted=deleted,
            is_bot=is_bot,
            tz=tz,
            tz_offset=tz_offset,
            display_name=display_name,
            real_name=real_name,
            tz_label=tz_label,
        )

    def update_user(self, user_id: str, **fields: Any) -> User:
        """Change a member later, e.g. `update_user(ALICE, deleted=True)` to deactivate them.
        Takes `User` field names (`restricted`, `ultra_restricted`, `is_admin`, `is_owner`,
        `tz`, `tz_offset`, `display_name`, ...) and the wire names `is_restricted` and
        `is_ultra_restricted`."""
        return self.workspace.directory.update_user(user_id, **fields)

    def add_usergroup(
        self,
        group_id: str,
        handle: str,
        users: Iterable[str],
        *,
        name: str | None = None,
        disabled: bool = False,
    ) -> UserGroup:
        """Create or replace a user group ("S…" id, `handle` as in `@handle`); a disabled one
        has `date_delete` set and is hidden unless a method is asked to `include_disabled`."""
        return self.workspace.directory.add_usergroup(
            group_id, handle, users, name=name, disabled=disabled
        )

    def set_usergroup_users(self, group_id: str, users: Iterable[str]) -> UserGroup:
        return self.workspace.directory.set_usergroup_users(group_id, users)

    def mint_trigger_id(self, user: str | None = None) -> str:
        """A trigger id views.open accepts once, within 3 s by this fake's clock; put it in the
        interaction payload (`block_action(..., trigger_id=...)`). `user` is only recorded."""
        return self._views.mint(user)

    def add_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None
    ) -> PostedMessage:
        """Seed a message somebody else wrote (e.g. the one an app_mention came from)."""
        message = PostedMessage(channel, self.workspace.mint_ts(), text, [], user, None, thread_ts)
        self.workspace.messages[(channel, message.ts)] = message
        return message

    def new_response_url(
        self, kind: str = "commands", *, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """Mint a response_url; with channel+message_ts, replace/delete_original act on it."""
        return self._urls.mint(self.base_url, kind, channel, message_ts)

    def fail_next(
        self,
        method: str,
        error: str = "internal_error",
        status: int = 200,
        times: int = 1,
        *,
        html: bool = False,
        lose_answer: bool = False,
    ) -> None:
        """Make the next `times` authenticated calls to `method` fail with `error` (or, with
        ``html``, with an HTML error page and `status`, as a proxy or Slack's edge answers; or,
        with ``lose_answer``, take effect and then never answer: the connection closes)."""
        failure = _Failure(error, status, times, html, lose_answer)
        self._failures.setdefault(method, []).append(failure)

    # -- observing ---------------------------------------------------------------------------

    @property
    def messages(self) -> dict[tuple[str, str], PostedMessage]:
        return self.workspace.messages

    @property
    def ephemerals(self) -> list[Ephemeral]:
        return self.workspace.ephemerals

    @property
    def views(self) -> list[OpenedView]:
        """Modals views.open accepted, oldest first."""
        return self._views.opened

    @property
    def responses(self) -> list[ResponsePost]:
        """Accepted response_url posts (rejected ones are in `calls_to("response_url")`)."""
        return self._urls.posts

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def thread_replies(self, channel: str, thread_ts: str) -> list[PostedMessage]:
        replies = [
            m
            for m in self.messages.values()
            if m.channel == channel and m.thread_ts == thread_ts and m.ts != thread_ts
        ]
        return sorted(replies, key=lambda m: float(m.ts))

    # The timeout parameters below are the fixture API the scenario tests were promised.
    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until `predicate()` holds; on timeout fail with what the fake has seen."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s\n{self.summary()}")
            self._activity.clear()
            # Woken by any recorded call; the short cap covers predicates on other state.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._activity.wait(), min(remaining, 0.05))

    def summary(self, last: int = 40) -> str:
        lines = [f"{len(self.calls)} call(s) recorded" + (":" if self.calls else "")]
        lines += [f"  {call.summary()}" for call in self.calls[-last:]]
        lines.append(
            f"messages={len(self.messages)} ephemerals={len(self.ephemerals)} "
            f"responses={len(self.responses)} envelopes={len(self.socket.envelopes)}"
        )
        return "\n".join(lines)

    # -- Socket Mode ---------------------------------------------------------------------------

    async def wait_connected(self, timeout: float = 5.0, count: int = 1) -> None:  # noqa: ASYNC109
        await self.socket.wait_connected(timeout, count)

    async def send_envelope(
        self,
        type: EnvelopeType,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Ack:
        return await self.socket.send_envelope(
            type, payload, retry_attempt=retry_attempt, retry_reason=retry_reason
        )

    # -- HTTP ----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method, at = request.match_info["method"], self._clock()
        args: dict[str, Any] = {}
        try:
            args, token = await _read_args(request)
            answer = self._dispatch(method, args, token, at)
            if self._lost.pop(method, False) and request.transport is not None:
                self._record(Call(method, args, at, 0, "answer_lost"))
                request.transport.abort()  # it happened; the caller never hears of it
                return web.Response(status=200)
        except SlackError as exc:
            self._record(Call(method, args, at, exc.status, exc.error))
            return web.json_response(exc.body, status=exc.status, headers=exc.headers)
        except _HtmlPage as page:
            self._record(Call(method, args, at, page.status, "html_page"))
            html = f"<html><body><h1>{page.status} Server Error</h1></body></html>"
            return web.Response(status=page.status, text=html, content_type="text/html")
        self._record(Call(method, args, at))
        return web.json_response(answer)

    def _dispatch(self, method: str, args: dict[str, Any], token: str, at: float) -> dict[str, Any]:
        if method != "apps.connections.open" and method not in self._handlers:
            raise SlackError("unknown_method", req_method=method)
        self._authenticate(method, token)
        self._inject_failure(method)
        retry_after = self.rate_limiter.check(method, at)
        if retry_after is None and method == "chat.postMessage" and self.channel_posts:
            retry_after = self.channel_posts.check(str(args.get("channel", "")), at)
        if retry_after is not None:
            raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        if method == "apps.connections.open":
            ticket = self.socket.issue_ticket()
            url = f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id={self.socket.app_id}"
            return {"ok": True, "url": url}
        return self._handlers[method](args)

    def _authenticate(self, method: str, token: str) -> None:
        wanted, other = self.bot_token, self.app_token
        if method == "apps.connections.open":
            wanted, other = other, wanted
        if not token:
            raise SlackError("not_authed")
        if token == other:
            raise SlackError("not_allowed_token_type")
        if token != wanted:
            raise SlackError("invalid_auth")

    def _inject_failure(self, method: str) -> None:
        queue = self._failures.get(method)
        if not queue:
            return
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        if failure.lose_answer:
            self._lost[method] = True
            return
        if failure.html:
            raise _HtmlPage(failure.status)
        headers = {"Retry-After": "1"} if failure.status == 429 else None
        raise SlackError(failure.error, status=failure.status, headers=headers)

    async def _response(self, request: web.Request) -> web.Response:
        at, raw = self._clock(), await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        try:
            self._urls.post(request.match_info["url_id"], body, at)
        except SlackError as exc:
            self._record(Call("response_url", _as_args(body), at, exc.status, exc.error))
            return web.json_response(exc.body, status=exc.status)
        self._record(Call("response_url", _as_args(body), at))
        return web.json_response({"ok": True})

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._activity.set()


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str]:
    """Arguments from the query string and a form or JSON body, as slack_sdk sends them, plus the
    token (Authorization header, else a `token` argument)."""
    args: dict[str, Any] = dict(request.query)
    is_json = request.content_type == "application/json"
    if request.can_read_body and is_json:
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    elif request.can_read_body:
        args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for name, error in _JSON_FIELDS.items():
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                raise SlackError(error) from None
    # Slack ignores a token inside a JSON body: JSON requests must use the Authorization header.
    body_token = "" if is_json else str(args.get("token", ""))
    args.pop("token", None)
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    return args, token or body_token


def _as_args(body: object) -> dict[str, Any]:
    return body if isinstance(body, dict) else {"_raw": body}

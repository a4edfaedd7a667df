"""Property-based fuzzing of ``/bms`` text and of button clicks through the whole running bot.

Every example is a correctly signed request over real HTTP to the bot on 127.0.0.1, which talks to
the fake Slack and the BMS simulator (``tests/support/harness.py``); the strategies and the
expected HTTP answers are in ``tests/support/fuzz.py``. The properties: never a 5xx, and exactly
the answer the inbound checks and Bolt's routing call for; every command answered (an ack Slack
would show, and the preview or status when one is due) within seconds; no stop ever reaches the
simulator, and Alice's live previews stay live whoever clicks what. The tests at the end pin the
bugs this fuzzing found, as strict xfails until they are fixed.

How it runs: Hypothesis runs ``@given`` tests synchronously, one example at a time, and cannot run
a coroutine. So each test is a plain function, and its bot (one per test: starting one costs far
more than an example) runs on an event loop of its own in a background thread
(``tests.support.fuzz.BotThread``); each example is handed to that loop with
``asyncio.run_coroutine_threadsafe`` and awaited there. The bot is a function-scoped fixture shared
by every example of its test on purpose, hence ``HealthCheck.function_scoped_fixture`` suppressed.

Settings: ``database=None`` (nothing is written under the repository), ``deadline=None`` (an
example is an HTTP round trip plus a cloud lookup: its time says nothing about the property), and
a fixed number of examples sized to keep this file well under a minute on two cores. The examples
are derandomized by default, so CI sees the same cases every run; ``BMS_FUZZ_RANDOM=1`` draws new
ones every run (add ``--hypothesis-seed=N`` to replay a run), the way to hunt for new failures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.lifecycle import RequestState
from bot.ids import ActionId, CallbackId
from tests.fakes.slack_requests import ALICE, CHANNEL, block_action_payload, sign
from tests.support.fuzz import (
    FORM,
    SERVER_IDS,
    BotThread,
    click_forms,
    command_texts,
    form_body,
    fuzz_simulator,
    interaction_forms,
    junk_forms,
    send_click,
    send_command,
)
from tests.support.harness import running_bot

FUZZ = settings(
    database=None,
    deadline=None,
    derandomize=not os.environ.get("BMS_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one bot for all examples
    print_blob=True,
)


@pytest.fixture
def running(tmp_path):
    with BotThread(tmp_path, sim=fuzz_simulator()) as bot_thread:
        yield bot_thread


@pytest.fixture
def previews(running: BotThread) -> list[str]:
    """Alice's live previews (one per running server), which no fuzzed click may act on."""
    ids = []
    for server_id in SERVER_IDS[:3]:
        _, request_id = running.run(running.bot.preview(f"stop {server_id}", user=ALICE))
        assert request_id
        ids.append(request_id)
    return ids


def assert_still_previewed(running: BotThread, previews: list[str]) -> None:
    """Alice's previews are all still waiting for her: no fuzzed click acted on one."""
    deps = running.bot.runtime.deps
    assert deps is not None
    for request_id in previews:
        row = running.run(deps.store.requests.get(request_id))
        assert row is not None
        assert row.state is RequestState.PREVIEWED, (request_id, row.state)


@settings(FUZZ, max_examples=300)
@given(text=command_texts())
def test_any_command_text_is_answered_and_stops_nothing(running: BotThread, text: str) -> None:
    """Any signed /bms text gets a 200 and a valid answer within seconds, and stops nothing."""
    outcome = running.run(send_command(running.bot, text))
    assert outcome.status == 200, outcome  # the texts stay well under inbound's 1 MiB
    assert outcome.ack_problem is None, outcome
    assert outcome.answered, running.bot.slack.summary()
    assert running.bot.sim.stop_calls == []


@settings(FUZZ, max_examples=400)
@given(data=st.data())
def test_any_click_is_refused_or_ignored_and_stops_nothing(
    running: BotThread, previews: list[str], data: st.DataObject
) -> None:
    """Any signed click but the requester's Stop is a 200, 400 or 404 and stops nothing."""
    form = data.draw(click_forms(previews), label="click form")
    outcome = running.run(send_click(running.bot, form))
    assert outcome.status in outcome.expected, outcome
    assert running.bot.sim.stop_calls == []
    assert_still_previewed(running, previews)


@settings(FUZZ, max_examples=150)
@given(form=junk_forms())
def test_junk_instead_of_a_click_is_refused_and_stops_nothing(
    running: BotThread, form: dict[str, str]
) -> None:
    """Any signed junk where a click's form should be is a 400 (or Bolt's 404), never a 5xx."""
    outcome = running.run(send_click(running.bot, form))
    assert outcome.status in outcome.expected, outcome
    assert running.bot.sim.stop_calls == []


@settings(FUZZ, max_examples=200)
@given(form=interaction_forms())
def test_any_modal_submission_or_other_interaction_is_no_5xx_and_stops_nothing(
    running: BotThread, previews: list[str], form: dict[str, str]
) -> None:
    """Any signed modal submission, closed modal or shortcut is a 200, 400 or 404, never a
    5xx, stops nothing and rejects none of Alice's requests."""
    outcome = running.run(send_click(running.bot, form))
    assert outcome.status < 500, outcome
    assert outcome.status in outcome.expected, outcome
    assert running.bot.sim.stop_calls == []
    assert_still_previewed(running, previews)


# Found by the click property above: place_of read the parts with .get() unchecked and the
# click died without an answer. Parts that are no object are now a 400 (bot/slack/inbound.py).
@pytest.mark.parametrize(
    "part",
    [{"team": "T0001"}, {"channel": CHANNEL}, {"container": ["message"]}],
    ids=["team is a string", "channel is a string", "container is a list"],
)
async def test_a_click_with_a_part_of_the_wrong_kind_is_refused_or_answered(
    tmp_path, caplog: pytest.LogCaptureFixture, part: dict
) -> None:
    """A signed Stop click whose team, channel or container is no object is a 400 or answered."""
    async with running_bot(tmp_path, sim=fuzz_simulator()) as bot:
        url = bot.slack.new_response_url("actions")
        payload = block_action_payload(
            ActionId.CONFIRM, "req_000000000000", response_url=url, message_ts="1.2"
        )
        body = form_body({"payload": json.dumps(payload | part)})
        caplog.clear()

        def errors() -> list[str]:
            return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

        response = await bot.post(body, dict(sign(body, FORM).headers))
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            await bot.slack.wait_for(lambda: bool(bot.responses(url) or errors()), timeout=5)
        assert errors() == []


# Found by fuzzing the other interactions (bench/fuzz_inputs.py): Bolt read view["type"]
# unchecked (a 500) and the listener read user.id unchecked; both shapes are now a 400.
REJECT_VIEW = {
    "type": "modal",
    "callback_id": CallbackId.REJECT_REASON.value,
    "private_metadata": "req_000000000000",
    "state": {"values": {}},
}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            {"view": {k: v for k, v in REJECT_VIEW.items() if k != "type"}},
            id="view without a type",
        ),
        pytest.param(
            {"view": "modal"},
            id="view is a string",
        ),
        pytest.param(
            {"view": REJECT_VIEW, "user": ALICE},
            id="user is a string",
        ),
        pytest.param({"view": REJECT_VIEW}, id="as Slack sends it"),
    ],
)
async def test_a_modal_submission_of_the_wrong_shape_is_no_500_and_no_crash(
    tmp_path, caplog: pytest.LogCaptureFixture, payload: dict
) -> None:
    """A signed view_submission with a broken view or user is refused or ignored, without a 500."""
    body = form_body(
        {"payload": json.dumps({"type": "view_submission", "user": {"id": ALICE}} | payload)}
    )
    async with running_bot(tmp_path, sim=fuzz_simulator()) as bot:
        caplog.clear()
        response = await bot.post(body, dict(sign(body, FORM).headers))
        await asyncio.sleep(0.2)  # the listener's work after its ack
    assert response.status_code < 500, response.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

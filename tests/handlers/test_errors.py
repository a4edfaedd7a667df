"""The one error handler: an unexpected failure gives a reference that the logs carry too."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from tests.support.harness import Bot, running_bot, texts


@pytest.fixture
async def bot(tmp_path):
    async with running_bot(tmp_path) as b:
        yield b


async def test_unexpected_error_gives_a_reference(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken database mid-command answers 'something went wrong, reference X' and logs X."""
    server = bot.sim.seed(1)[0]
    async with bot.runtime.deps.store.engine.begin() as conn:
        await conn.execute(sa.text("DROP TABLE stop_chunks"))
        await conn.execute(sa.text("DROP TABLE stop_requests"))
    with caplog.at_level(logging.ERROR):
        response, url = await bot.command(f"stop {server.id}")
        assert response.status_code == 200
        answer = await bot.wait_response(url, count=1)
    text = texts(answer.blocks)
    assert "went wrong" in text.lower()
    ref = re.search(r"reference `?([0-9a-f]{8})", text)
    assert ref, text
    logged = [r for r in caplog.records if getattr(r, "ref", None) == ref.group(1)]
    assert logged
    assert logged[0].exc_info is not None
    assert bot.sim.stop_calls == []

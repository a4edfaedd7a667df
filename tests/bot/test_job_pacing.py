"""Job polls stay within the job-query limit for the whole bot: with the simulator enforcing it
(429 APIGW.0308 over the limit), a bot polling every 50 ms is never refused, and the result still
comes."""

from __future__ import annotations

from tests.support.harness import new_simulator, running_bot


def job_answers(sim) -> list[int]:
    return [r.status for r in sim.request_log if r.method == "GET" and "/jobs/" in r.path]


async def test_polls_wait_for_their_turn_instead_of_being_throttled(tmp_path) -> None:
    """A limit of 40 job queries a minute, three requests polling every 50 ms: no 429, about
    one poll every 1.5 s between them, and every request finishes."""
    sim = new_simulator(stop_seconds=2.0, limits={"job": 40})
    async with running_bot(tmp_path, sim=sim, bms_job_queries_per_minute=40) as bot:
        servers = bot.sim.seed(3)
        ids = []
        for server in servers:
            request_id, _ = await bot.confirm(f"stop {server.id}")
            ids.append(request_id)
        for request_id in ids:
            await bot.settled(request_id, within=30)
    answers = job_answers(sim)
    assert 429 not in answers, answers
    assert len(answers) >= 3

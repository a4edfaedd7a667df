"""A faithful in-memory stand-in for Huawei Cloud's BMS API and IAM token endpoint, over real HTTP.

    sim = Simulator("0123456789abcdef0123456789abcdef", "AK", "SK")
    sim.seed(12)
    running = await start_simulator(sim)   # running.url: http://127.0.0.1:<port>
    ...
    await running.close()

Modules: ``state`` (servers, jobs, timeline), ``servers`` and ``jobs`` (their JSON), ``actions``
(action body validation), ``handlers`` (BMS routes), ``iam`` (token endpoint), ``gateway`` (request
ids, auth, throttling, faults), ``auth``, ``throttle``, ``faults``, ``app`` and ``runner``.
"""

from __future__ import annotations

from bot.simulator.faults import Fault, Faults
from bot.simulator.jobs import SimJob, SimSubJob
from bot.simulator.runner import RunningSimulator, serve_forever, start_simulator
from bot.simulator.servers import SimServer
from bot.simulator.state import RequestRecord, Simulator

__all__ = [
    "Fault",
    "Faults",
    "RequestRecord",
    "RunningSimulator",
    "SimJob",
    "SimServer",
    "SimSubJob",
    "Simulator",
    "serve_forever",
    "start_simulator",
]

"""A faithful in-memory stand-in for Huawei Cloud's BMS API and IAM token endpoint, over real HTTP.

    sim = Simulator("0123456789abcdef0123456789abcdef", "AK", "SK")
    sim.seed(12)
    running = await start_simulator(sim)   # running.url: http://127.0.0.1:<port>
    ...
    await running.close()

Modules: ``state`` (servers, jobs, timeline), ``servers`` and ``jobs`` (their JSON), ``actions``
(action body validation), ``handlers`` (BMS routes), ``iam`` (token endpoint), ``gateway`` (request
ids, auth, throttling, faults), ``auth``, ``throttle``, ``faults``, ``app``, ``runner``,
``embedded`` (the bot's in-process backend for ``BMS_SIMULATOR=true``) and ``cli`` (``bms-bot
simulator``).

A package of its own beside ``bot/``: it imports only ``bot.bms.signing`` (to verify signatures
exactly as the client makes them), and the bot never imports it: it finds ``embedded`` and
``cli`` through the ``bms_bot.simulator`` entry points declared in ``pyproject.toml``.
"""

from __future__ import annotations

from simulator.faults import Fault, Faults
from simulator.jobs import SimJob, SimSubJob
from simulator.runner import RunningSimulator, serve_forever, start_simulator
from simulator.servers import SimServer
from simulator.state import RequestRecord, Simulator

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

"""CPU time and peak memory of another process, read from Linux's /proc (psutil is not installed).

Both figures cover every thread of the process (the bot runs SQLite calls in aiosqlite's thread),
and both vanish with it: read them while the process is still running.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
# Fields of /proc/<pid>/stat after "(comm)", counting the state (field 3 in proc(5)) as 0.
_UTIME, _STIME = 14 - 3, 15 - 3


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (in clock ticks, usually 10 ms)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces or parentheses: split after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[_UTIME]) + int(fields[_STIME])) / _TICKS_PER_SECOND


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size so far (``VmHWM``, reported in kB)."""
    return _status_mib(pid, "VmHWM")


def rss_mib(pid: int) -> float:
    """The process's resident set size now (``VmRSS``)."""
    return _status_mib(pid, "VmRSS")


def _status_mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/{pid}/status")

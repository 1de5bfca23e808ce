"""Where the cores went while a benchmark ran: CPU seconds by process, per request or event.

Everything shares the machine's cores (the load generator, the web server, the workers, the
Segment sandbox, PostgreSQL and Redis), so a rate is bounded by the sum of what each part spends
per event. The meter reads ``/proc`` before and after a run: the stack's processes with their
children (gunicorn's workers), the PostgreSQL and Redis servers by name, the load generator from
the bench's own reaped children (``RUSAGE_CHILDREN``: wrk is the only child waited for during a
run), and the machine's idle time from ``/proc/stat``. A process that exits during the run loses
what it spent (none of the measured ones do; PostgreSQL's connections are persistent). Linux only;
elsewhere the figures are empty.
"""

import os
import resource
from pathlib import Path

from bench.stack import children

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SERVERS = {"postgres": "PostgreSQL", "redis-server": "Redis"}
LOAD_GENERATOR = "wrk"
IDLE = "idle"


def cpu_seconds(pid: int) -> float | None:
    """User plus system time of ``pid``, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state is fields[0]
    return (int(fields[11]) + int(fields[12])) / TICKS


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        below = children(queue.pop())
        found += below
        queue += below
    return found


def _idle_seconds() -> float:
    """Idle and I/O-wait time of all cores since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return (int(fields[3]) + int(fields[4])) / TICKS


class CpuMeter:
    """``processes``: name → pid of the stack's processes (each counted with its children)."""

    def __init__(self, processes: dict[str, int]):
        self.processes = processes
        self.spent: dict[str, float] = {}
        self._before: dict[tuple[str, int], float] = {}

    def _groups(self) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for name, pid in self.processes.items():  # worker0, worker1, … count as one
            groups.setdefault(name.rstrip("0123456789"), []).extend([pid, *_descendants(pid)])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                label = SERVERS.get(_name(int(entry.name)))
                if label:
                    groups.setdefault(label, []).append(int(entry.name))
        return groups

    def _read(self) -> dict[tuple[str, int], float]:
        times = {}
        for group, pids in self._groups().items():
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds is not None:
                    times[(group, pid)] = seconds
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        times[(LOAD_GENERATOR, 0)] = children.ru_utime + children.ru_stime
        times[(IDLE, 0)] = _idle_seconds()
        return times

    def __enter__(self) -> "CpuMeter":
        if Path("/proc/stat").exists():
            self._before = self._read()
        return self

    def __exit__(self, *exc) -> None:
        if not self._before:
            return
        for (group, pid), seconds in self._read().items():
            spent = seconds - self._before.get((group, pid), 0.0)
            self.spent[group] = self.spent.get(group, 0.0) + spent


def cpu_per(spent: dict[str, float], count: int) -> dict[str, float]:
    """Milliseconds of CPU (and of idle cores) per request or event, by process; "busy" sums them."""
    if not count or not spent:
        return {}
    per = {group: round(seconds * 1000 / count, 2) for group, seconds in sorted(spent.items())}
    per["busy"] = round(sum(value for group, value in per.items() if group != IDLE), 2)
    return per


def cpu_text(per: dict[str, float]) -> str:
    """``cpu_per``'s figures as one line: the processes, then busy and idle."""
    if not per:
        return "not measured (no /proc)"
    parts = [f"{group} {value:.2f}" for group, value in per.items() if group not in ("busy", IDLE)]
    return " · ".join(parts) + f" = {per['busy']:.2f} ms busy, {per.get(IDLE, 0):.2f} ms idle"


def cpu_add(total: dict[str, float], meter: CpuMeter) -> None:
    for group, seconds in meter.spent.items():
        total[group] = total.get(group, 0.0) + seconds

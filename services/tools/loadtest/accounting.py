"""Where the cores went during a run: the jobs' own work, and everything else, from the kernel's counters.

A run's loss from the ideal is accounted for, not guessed. Between the first job's submission and the
last job's end, the host's cores offered `host cores x wall` core-seconds; they went to:

- the jobs' kernels (the CPU seconds the pool processes report per job: the useful work);
- the worker containers besides those kernels (RQ, the pool's dispatch and merge, heartbeat,
  healthchecks), from their cgroups;
- the API and Redis containers, from their cgroups;
- the engine (dockerd, containerd, the shims: Docker's stats streams and healthcheck execs);
- this process: the load generator and its CPU samplers;
- the rest of the host's processes (busy time in /proc/stat not counted above);
- nothing: idle cores.

The same two readings give each container's CFS throttling over the run (shared/cgroup/throttling.py).
"""

import os
import time
from dataclasses import dataclass
from typing import Any

import docker
import psutil

from services.tools.monitor.cgroups import (
    CgroupMeter,
    CpuCounters,
    process_cpu_seconds,
    throttled_between,
    used_between,
)
from services.tools.stack import containers, service_of

# The lines of the account, in the order they are shown.
LINES = ("kernels", "workers_other", "api", "redis", "engine", "load_generator", "host_other", "idle")
LABELS = {
    "kernels": "jobs' kernels (the work)",
    "workers_other": "workers besides kernels",
    "api": "API",
    "redis": "Redis",
    "engine": "Docker engine",
    "load_generator": "load generator + sampling",
    "host_other": "rest of the host",
    "idle": "idle cores",
}


# Column headers for tables with a column per line.
SHORT = {
    "kernels": "kernels",
    "workers_other": "workers, rest",
    "api": "API",
    "redis": "Redis",
    "engine": "engine",
    "load_generator": "load gen.",
    "host_other": "rest of host",
    "idle": "idle",
}


def host_busy_seconds() -> float:
    """CPU seconds every core of the host spent busy since boot (all but idle and iowait)."""
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


def _self_seconds() -> float:
    """This process's CPU seconds, every thread's (the load generator's)."""
    return process_cpu_seconds(os.getpid(), children=False)


@dataclass
class _Reading:
    counters: CpuCounters
    host_busy: float
    own: float


class Ledger:
    """Opened at a run's start and closed at its end; `account()` then splits the cores' time."""

    def __init__(self, client: docker.DockerClient, project: str) -> None:
        running = containers(client, project)
        self._services = {c.name: service_of(c) for c in running}
        self._meter = CgroupMeter({c.name: c.attrs["State"]["Pid"] for c in running})
        self._start: _Reading | None = None
        self._end: _Reading | None = None

    def _read(self) -> _Reading:
        return _Reading(self._meter.read(time.monotonic()), host_busy_seconds(), _self_seconds())

    def open(self) -> "Ledger":
        self._start = self._read()
        return self

    def close(self) -> None:
        self._end = self._read()

    def account(self, kernels_seconds: float) -> dict[str, Any]:
        """Core-seconds per line, and each as a share of the host's cores x wall (they add up to 1)."""
        assert self._start and self._end, "open() and close() first"
        start, end = self._start, self._end
        wall = end.counters.at - start.counters.at
        per_container, engine = used_between(start.counters, end.counters)
        by_service: dict[str, float] = {}
        for name, used in per_container.items():
            service = self._services.get(name, "?")
            by_service[service] = by_service.get(service, 0.0) + used
        own = end.own - start.own
        busy = end.host_busy - start.host_busy
        capacity = (os.cpu_count() or 1) * wall
        workers, api, redis = (by_service.pop(name, 0.0) for name in ("worker", "api", "redis"))
        # Any other service of the project (none by default) counts with the rest of the host.
        shown = workers + api + redis + engine + own
        seconds = {
            "kernels": kernels_seconds,
            "workers_other": workers - kernels_seconds,
            "api": api,
            "redis": redis,
            "engine": engine,
            "load_generator": own,
            "host_other": busy - shown,
            "idle": capacity - busy,
        }
        return {
            "wall_seconds": wall,
            "host_cores": os.cpu_count() or 1,
            "core_seconds": {k: round(v, 4) for k, v in seconds.items()},
            "share": {k: round(v / capacity, 4) if capacity else None for k, v in seconds.items()},
            "containers": {name: round(used, 4) for name, used in sorted(per_container.items())},
            "throttling": {
                name: {"service": self._services.get(name, "?"), **counters.as_dict()}
                for name, counters in sorted(throttled_between(start.counters, end.counters).items())
            },
            "unreadable": self._meter.unreadable,
        }

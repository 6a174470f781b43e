"""CPU seconds from the kernel's own accounting, read on the host: each container's cgroup, and the engine.

Docker's stats stream gives CPU % per second; the cgroup counters give CPU seconds to the nanosecond
between any two instants, which is what "what did X cost during this run" needs. The container's cgroup
is found from its first process (`/proc/<pid>/cgroup`), so this works with cgroup v1 and v2 and any
cgroup driver. The engine's processes (dockerd, containerd, the shims that run `docker exec` for
healthchecks, docker-proxy) live outside every container, on the same cores: they are counted apart.
The same readings take each container's CFS throttling counters (shared/cgroup/throttling.py), from the
cpu controller's folder on v1.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from shared.cgroup.throttling import Throttling, group_throttling
from shared.cgroup.usage import group_cpu_seconds

CGROUP_FS = Path("/sys/fs/cgroup")
# Where a process's cgroup is (/proc/<pid>/cgroup): psutil has no accessor for it.
PROC = Path("/proc")
# The engine's own processes; a shim's reaped children (runc, one per healthcheck exec) are in its
# cutime/cstime.
ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "docker-proxy")


def cgroup_dir(pid: int, proc: Path = PROC, fs: Path = CGROUP_FS, controller: str = "cpuacct") -> Path | None:
    """The folder of the cgroup that process `pid` is in for `controller`, or None if unreadable.

    `cpuacct` holds the CPU seconds on v1, `cpu` the quota and its throttling (they may be one folder,
    `cpu,cpuacct`, or two); v2 has one folder for all.
    """
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        names = controllers.split(",")
        if controller in names:  # v1
            for folder in (controller, "cpu,cpuacct", controllers):
                if (fs / folder / path.lstrip("/")).is_dir():
                    return fs / folder / path.lstrip("/")
    for line in lines:
        if line.startswith("0::"):  # v2
            return fs / line[3:].lstrip("/")
    return None


def process_cpu_seconds(pid: int, children: bool = True) -> float:
    """A process's CPU seconds (user + system), with its reaped children's unless not `children`; 0 if
    it is gone or not ours to read."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system + ((times.children_user + times.children_system) if children else 0.0)


def engine_pids(names: Iterable[str] = ENGINE_PROCESSES) -> list[int]:
    """The pids of the engine's processes running now."""
    wanted = set(names)
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in wanted]


@dataclass
class CpuCounters:
    """A reading of every counter at one instant: container name -> CPU seconds, and the engine's.

    `throttling`: container name -> its CFS throttling counters (cumulative), where its cgroup has them.
    """

    at: float
    containers: dict[str, float]
    engine: dict[int, float]
    throttling: dict[str, Throttling] = field(default_factory=dict)


class CgroupMeter:
    """Reads the CPU seconds and throttling of containers (by name -> first pid), and the engine's CPU."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._dirs = {name: cgroup_dir(pid) for name, pid in pids.items()}
        self._cpu_dirs = {name: cgroup_dir(pid, controller="cpu") for name, pid in pids.items()}

    @property
    def unreadable(self) -> list[str]:
        return [name for name, d in self._dirs.items() if d is None]

    def read(self, at: float) -> CpuCounters:
        containers = {}
        for name, directory in self._dirs.items():
            used = group_cpu_seconds(directory) if directory else None
            if used is not None:
                containers[name] = used
        engine = {pid: process_cpu_seconds(pid) for pid in engine_pids()}
        throttling = {}
        for name, directory in self._cpu_dirs.items():
            counters = group_throttling(directory) if directory else None
            if counters is not None:
                throttling[name] = counters
        return CpuCounters(at, containers, engine, throttling)


def used_between(before: CpuCounters, after: CpuCounters) -> tuple[dict[str, float], float]:
    """CPU seconds used between two readings: per container, and by the engine's processes.

    An engine process that started in between counts from zero; one that ended is lost (its CPU went to
    a parent that is not counted): both are rare for dockerd, containerd and the shims of a running stack.
    """
    containers = {
        name: after.containers[name] - before.containers[name]
        for name in after.containers
        if name in before.containers
    }
    engine = sum(used - before.engine.get(pid, 0.0) for pid, used in after.engine.items())
    return containers, engine


def throttled_between(before: CpuCounters, after: CpuCounters) -> dict[str, Throttling]:
    """Each container's CFS throttling between two readings (periods, throttled periods, seconds)."""
    return {
        name: counters.since(before.throttling[name])
        for name, counters in after.throttling.items()
        if name in before.throttling
    }

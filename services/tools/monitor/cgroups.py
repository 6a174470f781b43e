"""CPU seconds from the kernel's own accounting, read on the host: each container's cgroup, and the engine.

Docker's stats stream gives CPU % per second; the cgroup counters give CPU seconds to the nanosecond
between any two instants, which is what "what did X cost during this run" needs. The container's cgroup
is found from its first process (`/proc/<pid>/cgroup`), so this works with cgroup v1 and v2 and any
cgroup driver. The engine's processes (dockerd, containerd, the shims that run `docker exec` for
healthchecks, docker-proxy) live outside every container, on the same cores: they are counted apart.
"""

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from worker.cgroup.usage import group_cpu_seconds

CGROUP_FS = Path("/sys/fs/cgroup")
PROC = Path("/proc")
# The engine's own processes; a shim's reaped children (runc, one per healthcheck exec) are in its
# cutime/cstime.
ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "docker-proxy")
TICKS = os.sysconf("SC_CLK_TCK")


def cgroup_dir(pid: int, proc: Path = PROC, fs: Path = CGROUP_FS) -> Path | None:
    """The folder of the CPU-accounting cgroup that process `pid` is in, or None if unreadable."""
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        names = controllers.split(",")
        if "cpuacct" in names:  # v1
            for folder in ("cpuacct", "cpu,cpuacct", controllers):
                if (fs / folder / path.lstrip("/")).is_dir():
                    return fs / folder / path.lstrip("/")
    for line in lines:
        if line.startswith("0::"):  # v2
            return fs / line[3:].lstrip("/")
    return None


def process_cpu_seconds(pid: int, children: bool = True, proc: Path = PROC) -> float:
    """A process's CPU seconds (user + system), with its reaped children's; 0 if it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based from pid.
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + ((cutime + cstime) if children else 0)) / TICKS


def engine_pids(names: Iterable[str] = ENGINE_PROCESSES, proc: Path = PROC) -> list[int]:
    """The pids of the engine's processes running now."""
    wanted = set(names)
    pids = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in wanted:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class CpuCounters:
    """A reading of every counter at one instant: container name -> CPU seconds, and the engine's."""

    at: float
    containers: dict[str, float]
    engine: dict[int, float]


class CgroupMeter:
    """Reads the CPU seconds of a set of containers (by name -> first pid) and of the engine."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._dirs = {name: cgroup_dir(pid) for name, pid in pids.items()}

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
        return CpuCounters(at, containers, engine)


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

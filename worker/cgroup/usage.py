"""This container's own CPU use, from cgroup accounting: no Docker socket needed inside a container."""

import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpu_seconds_used(root: Path = CGROUP_ROOT) -> float | None:
    """CPU seconds used so far by every process of this cgroup (container), or None if unreadable."""
    v2 = root / "cpu.stat"
    if v2.is_file():
        for line in v2.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "usage_usec":
                return int(value) / 1e6
    for controller in ("cpuacct", "cpu,cpuacct", "cpu"):
        usage = root / controller / "cpuacct.usage"
        if usage.is_file():
            return int(usage.read_text()) / 1e9
    return None


class CpuMeter:
    """CPU % (100 = one core busy) between successive readings, as `docker stats` reports it."""

    def __init__(self, root: Path = CGROUP_ROOT) -> None:
        self._root = root
        self._last = (time.monotonic(), cpu_seconds_used(root))

    def read(self) -> tuple[float | None, float | None]:
        """(CPU % since the previous read, CPU seconds used in total); None where cgroups are unreadable."""
        now, used = time.monotonic(), cpu_seconds_used(self._root)
        then, used_before = self._last
        self._last = (now, used)
        if used is None or used_before is None or now <= then:
            return None, used
        return 100 * (used - used_before) / (now - then), used

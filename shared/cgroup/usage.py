"""This container's own CPU use, from cgroup accounting: no Docker socket needed inside a container."""

import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpu_seconds_used(root: Path = CGROUP_ROOT) -> float | None:
    """CPU seconds used so far by every process of this cgroup (container), or None if unreadable.

    `root` is the cgroup filesystem as a container sees it: its own cgroup at the top (v2), or under
    each controller's folder (v1).
    """
    for directory in (root, root / "cpuacct", root / "cpu,cpuacct", root / "cpu"):
        used = group_cpu_seconds(directory)
        if used is not None:
            return used
    return None


def group_cpu_seconds(directory: Path) -> float | None:
    """CPU seconds used by the cgroup at `directory`: `usage_usec` in cpu.stat (v2), cpuacct.usage (v1).

    The host's tools read a container's cgroup through the same function (services/tools/monitor).
    """
    v2 = directory / "cpu.stat"
    if v2.is_file():
        for line in v2.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "usage_usec":
                return int(value) / 1e6
    usage = directory / "cpuacct.usage"
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

"""How many CPUs this container may use, from its cgroup CPU quota (what `cpus:` in compose sets).

`os.cpu_count()` counts the host's cores and `os.process_cpu_count()` follows CPU affinity, but
neither sees the CFS quota: a container limited to 1 CPU on a 16-core host would start 16
processes that then take turns on one CPU's worth of time.
"""

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def quota_cpus(root: Path = CGROUP_ROOT) -> float | None:
    """The CPU quota in CPUs (e.g. 1.5), or None when unlimited or unknown."""
    v2 = root / "cpu.max"
    if v2.is_file():
        # "max 100000" (unlimited) or "150000 100000" (1.5 CPUs).
        quota, period = (v2.read_text().split() + ["100000"])[:2]
        return None if quota == "max" else int(quota) / int(period)
    for v1 in (root / "cpu", root / "cpu,cpuacct"):
        quota_file, period_file = v1 / "cpu.cfs_quota_us", v1 / "cpu.cfs_period_us"
        if quota_file.is_file() and period_file.is_file():
            quota = int(quota_file.read_text())
            if quota <= 0:
                return None
            return quota / int(period_file.read_text())
    return None


def usable_cpus() -> int:
    """CPUs this process may use: affinity, further limited by the quota (rounded up)."""
    available = len(os.sched_getaffinity(0))
    quota = quota_cpus()
    if quota is None:
        return available
    return max(1, min(available, math.ceil(quota)))

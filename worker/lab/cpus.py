"""How many CPUs: `os.cpu_count()` vs `os.process_cpu_count()` vs the cgroup CPU quota.

`cpu_count()` counts the machine's CPUs; `process_cpu_count()` (3.13+) follows CPU affinity
(`taskset`, `docker --cpuset-cpus`); neither sees a CFS quota (`docker --cpus`, compose `cpus:`).
Sizing a pool from either inside a quota-limited container oversubscribes it. The quota reading is
`shared.cgroup.quota`'s, the one the worker uses.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

from shared.cgroup.quota import CGROUP_ROOT, quota_cpus, usable_cpus
from worker.lab.defaults import Sizes
from worker.lab.result import Result


@dataclass
class CpuView:
    """Every answer to "how many CPUs?" this process can get."""

    cpu_count: int | None
    process_cpu_count: int | None  # None on Python < 3.13, where the function does not exist
    affinity: int
    quota: float | None  # None: no quota (unlimited) or no cgroup file found
    quota_file: str  # which cgroup file the quota came from, and its raw text
    usable: int


def process_cpu_count() -> int | None:
    """`os.process_cpu_count()` where it exists (3.13+), else None: 3.11 has no such function."""
    fn = getattr(os, "process_cpu_count", None)
    return fn() if fn is not None else None


def raw_quota(root: Path = CGROUP_ROOT) -> str:
    """The cgroup file the quota is read from and its raw content, for the report."""
    v2 = root / "cpu.max"
    if v2.is_file():
        return f"{v2}: {v2.read_text().strip()}"
    for v1 in (root / "cpu", root / "cpu,cpuacct"):
        quota_file = v1 / "cpu.cfs_quota_us"
        if quota_file.is_file():
            period = (v1 / "cpu.cfs_period_us").read_text().strip()
            return f"{quota_file}: {quota_file.read_text().strip()} / {period}"
    return f"no cpu.max or cpu.cfs_quota_us under {root}"


def cpu_view() -> CpuView:
    """Read every count now."""
    return CpuView(
        cpu_count=os.cpu_count(),
        process_cpu_count=process_cpu_count(),
        affinity=len(os.sched_getaffinity(0)),
        quota=quota_cpus(),
        quota_file=raw_quota(),
        usable=usable_cpus(),
    )


def run(sizes: Sizes) -> Result:
    """Report the counts and check that `usable_cpus()` is the affinity capped by the quota."""
    view = cpu_view()
    expected_usable = (
        view.affinity if view.quota is None else max(1, min(view.affinity, math.ceil(view.quota)))
    )
    pcc = str(view.process_cpu_count) if view.process_cpu_count is not None else "n/a (Python < 3.13)"
    quota = f"{view.quota:g} CPU" if view.quota is not None else "none"
    return Result(
        name="cpus",
        shows="cpu_count() and process_cpu_count() ignore the cgroup CPU quota",
        headline=f"cpu_count {view.cpu_count}, process_cpu_count {pcc}, quota {quota} "
        f"→ pool of {view.usable}",
        design="size pools from the quota (usable_cpus), not from cpu_count()",
        figures={
            "os.cpu_count()": str(view.cpu_count),
            "os.process_cpu_count()": pcc,
            "len(os.sched_getaffinity(0))": str(view.affinity),
            "cgroup quota": f"{quota} ({view.quota_file})",
            "usable_cpus()": str(view.usable),
        },
        facts={
            "usable_cpus() == affinity capped by ceil(quota)": view.usable == expected_usable,
            "usable_cpus() <= os.cpu_count()": view.usable <= (view.cpu_count or view.usable),
            "process_cpu_count() == affinity (where it exists)": view.process_cpu_count
            in (None, view.affinity),
        },
        notes=(
            [
                f"the quota ({quota}) is below cpu_count ({view.cpu_count}): "
                "a pool sized by cpu_count oversubscribes it"
            ]
            if view.quota is not None and view.quota < (view.cpu_count or 0)
            else []
        ),
    )

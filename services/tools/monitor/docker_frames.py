"""CPU % of a Docker stats frame, computed exactly as `docker stats` computes it, and what else a frame says.

CPU % follows the CLI: 100 % is one full CPU, so a container limited to 0.5 CPU tops out near 50 %
and the sum over containers divided by 100 is the number of cores in use. The same frames carry the
cgroup's CFS throttling counters (`throttling_data`) and the time the engine took them (`read_time`).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.cgroup.throttling import Throttling

Stats = Mapping[str, Any]
Sample = tuple[float, float]


def online_cpus(cpu_stats: Stats) -> int:
    """CPUs the engine reports for the container; 0 when the frame does not say."""
    count = cpu_stats.get("online_cpus") or 0
    if not count:
        # Older engines leave online_cpus out; the CLI then counts the per-CPU counters.
        count = len((cpu_stats.get("cpu_usage") or {}).get("percpu_usage") or [])
    return int(count)


def cpu_percent_between(previous: Stats, current: Stats) -> float | None:
    """CPU % from one `cpu_stats` dict to a later one (100 = one CPU); None when it cannot be measured."""
    try:
        cpu_delta = current["cpu_usage"]["total_usage"] - previous["cpu_usage"]["total_usage"]
        system_delta = current["system_cpu_usage"] - previous["system_cpu_usage"]
    except (KeyError, TypeError):
        # A first frame's precpu_stats, and every frame of a stopped container, lack system_cpu_usage.
        # The CLI shows 0 % there; None keeps "no measurement" apart from "idle".
        return None
    cpus = online_cpus(current)
    if system_delta <= 0 or cpus == 0:
        return None
    if cpu_delta <= 0:
        # Idle, or the counter started over because the container restarted: the CLI shows 0 too.
        return 0.0
    return cpu_delta / system_delta * cpus * 100.0


def cpu_percent(stats: Stats) -> float | None:
    """CPU % of one stats frame: its `cpu_stats` against its `precpu_stats`, as `docker stats` does."""
    return cpu_percent_between(stats.get("precpu_stats") or {}, stats.get("cpu_stats") or {})


def throttling_data(cpu_stats: Stats) -> Throttling | None:
    """A frame's cumulative throttling counters (`throttled_time` is in ns); None when it has none."""
    data = cpu_stats.get("throttling_data")
    if not data or "periods" not in data:
        return None
    return Throttling(data["periods"], data.get("throttled_periods", 0), data.get("throttled_time", 0) / 1e9)


def read_time(stats: Stats) -> float | None:
    """When the engine took a stats frame, on the `time.time()` scale; None if the frame has no time."""
    try:
        when = datetime.fromisoformat(stats["read"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None
    # Frames of stopped containers carry Go's zero time, 0001-01-01.
    return when if when > 0 else None

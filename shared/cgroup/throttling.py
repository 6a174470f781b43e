"""Whether a cgroup (container) was throttled: the CFS bandwidth counters in its cpu.stat.

A container with a CPU quota (`cpus:`) that wants more than its quota within one period (100 ms) is
stopped until the next: its CPU % can look fine while its latency suffers. The kernel counts the
periods in which the group ran (`nr_periods`), those that ended throttled (`nr_throttled`) and the time
it waited (`throttled_usec` on cgroup v2, `throttled_time` in ns on v1). Without a quota there are no
periods at all: a pinned container (`cpuset:`) is never throttled, it just shares its cores.

The worker reads these on its heartbeat (worker/queue/heartbeat.py) and the host's tools read them
beside each container's CPU seconds (services/tools/monitor/cgroups.py): no reading of its own.
"""

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Throttling:
    """CFS bandwidth counters of one cgroup: cumulative, or the difference of two readings."""

    periods: int  # enforcement periods in which the group wanted CPU
    throttled_periods: int  # of them, those it used up its quota in and was stopped
    throttled_seconds: float  # how long its processes were stopped, in total

    @property
    def share(self) -> float | None:
        """Throttled periods as a share of all periods (0..1); None when there was no period (no quota)."""
        return self.throttled_periods / self.periods if self.periods else None

    def as_dict(self) -> dict[str, int | float | None]:
        """JSON-ready: the counters, and the throttled share (None without periods)."""
        return {
            "periods": self.periods,
            "throttled_periods": self.throttled_periods,
            "throttled_share": None if self.share is None else round(self.share, 4),
            "throttled_seconds": round(self.throttled_seconds, 6),  # to the microsecond cgroup v2 counts in
        }

    def since(self, earlier: "Throttling") -> "Throttling":
        """What happened between `earlier` and this reading."""
        return Throttling(
            self.periods - earlier.periods,
            self.throttled_periods - earlier.throttled_periods,
            self.throttled_seconds - earlier.throttled_seconds,
        )

    def __add__(self, other: "Throttling") -> "Throttling":
        return Throttling(
            self.periods + other.periods,
            self.throttled_periods + other.throttled_periods,
            self.throttled_seconds + other.throttled_seconds,
        )


ZERO = Throttling(0, 0, 0.0)


def parse_cpu_stat(text: str) -> Throttling | None:
    """The throttling counters of a cpu.stat file's text (v1 or v2); None if it has none."""
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[name] = int(value)
    if "nr_periods" not in values or "nr_throttled" not in values:
        return None
    if "throttled_usec" in values:
        seconds = values["throttled_usec"] / 1e6
    elif "throttled_time" in values:
        seconds = values["throttled_time"] / 1e9
    else:
        return None
    return Throttling(values["nr_periods"], values["nr_throttled"], seconds)


def group_throttling(directory: Path) -> Throttling | None:
    """The counters of the cgroup at `directory` (the cpu controller's folder on v1), or None."""
    try:
        return parse_cpu_stat((directory / "cpu.stat").read_text())
    except OSError:
        return None


def container_throttling(root: Path = CGROUP_ROOT) -> Throttling | None:
    """This container's counters, read from inside it: its own cgroup at `root` (v2) or under `cpu` (v1)."""
    for directory in (root, root / "cpu", root / "cpu,cpuacct"):
        found = group_throttling(directory)
        if found is not None:
            return found
    return None

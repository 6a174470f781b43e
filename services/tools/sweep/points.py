"""The sweep's points: task durations from about 1 ms to about 1 s, log-spaced, and the jobs for each.

At a point of task duration d, every approach runs the same jobs: `jobs` jobs of the kernel's units
[0, size), each cut into tasks of `chunk_size` units, the request's `chunk_size` (shared.plan: a pool
task for `local`, a queue entry for `distributed`, `hybrid` and stock RQ; the ceiling cuts its tasks
the same way, worker/ceiling.py --task-size). The cost model (shared.cost) sets them: a job holds
`work_seconds / jobs` of one process's work, so every point runs about as long whatever d (save the
longest, which get more work rather than fewer tasks than `min_tasks` in all), and its tasks are sized
so that the average one is modelled at d. The duration actually run is measured: the
kernels' CPU seconds per task, from the jobs' own figures (services/tools/sweep/measured.py); the chart
shows that.
"""

import math
from dataclasses import dataclass

from services.tools.stack import host_settings
from shared.cost import estimate_seconds
from shared.kernels.dataset import blocks
from shared.settings import Settings


@dataclass(frozen=True)
class Point:
    """One task duration of the sweep and the jobs that run it."""

    seconds: float  # the task duration aimed at, by the cost model
    size: int  # units per job: primes in [0, size) or `size` pi samples; `bytes`: the dataset's bytes
    chunk_size: int  # units per task (local, the ceiling) or per queue entry (distributed, hybrid)
    jobs: int
    work: int | None = None  # set: a `bytes` point (the data axis), hashing rounds per byte

    @property
    def units(self) -> int:
        """Units per job: a `bytes` job's are its dataset's blocks."""
        return self.size if self.work is None else blocks(self.size)

    @property
    def tasks_per_job(self) -> int:
        return -(-self.units // self.chunk_size)

    @property
    def label(self) -> str:
        """`22 ms`, or `22 ms work 4` on the data axis."""
        return duration(self.seconds) + ("" if self.work is None else f" work {self.work}")


def duration(seconds: float) -> str:
    """`1.0 ms`, `22 ms`, `1.0 s`: two significant figures."""
    if seconds >= 1:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    ms = seconds * 1000
    return f"{ms:.2g} ms" if ms < 10 else f"{ms:.0f} ms"


def durations(shortest: float, longest: float, count: int) -> list[float]:
    """`count` durations from `shortest` to `longest`, evenly spaced on a log scale."""
    if count < 2 or not 0 < shortest < longest:
        raise ValueError("a sweep needs at least 2 points and 0 < shortest < longest")
    ratio = math.log(longest / shortest) / (count - 1)
    return [shortest * math.exp(ratio * i) for i in range(count)]


def units_for(kernel: str, seconds: float, settings: Settings) -> int:
    """The fewest units [0, n) that the cost model puts at `seconds` or more of one process's work."""
    most = settings.max_primes_span if kernel == "primes" else settings.max_pi_samples
    if estimate_seconds(kernel, 0, most, settings) < seconds:
        raise ValueError(
            f"{seconds:g} s of {kernel} work per job is more than one job may hold ({most:,} units)"
        )
    lo, hi = 1, most
    while lo < hi:
        mid = (lo + hi) // 2
        if estimate_seconds(kernel, 0, mid, settings) >= seconds:
            hi = mid
        else:
            lo = mid + 1
    return lo


def plan_point(
    kernel: str,
    seconds: float,
    jobs: int,
    work_seconds: float,
    settings: Settings | None = None,
    min_tasks: int = 1,
) -> Point:
    """The jobs of one point: `work_seconds` of one process's work in all, in tasks of about `seconds`,
    and more where that would make fewer than `min_tasks` tasks in all: with a handful of long tasks a
    round's time is set by how they happen to fall on the processes at its end, not by the approach."""
    settings = settings or host_settings()
    per_job = work_seconds / jobs
    tasks = max(1, round(per_job / seconds), -(-min_tasks // jobs))
    if tasks > settings.max_chunks:
        raise ValueError(
            f"{duration(seconds)} tasks: {tasks:,} per job is more than MAX_CHUNKS "
            f"({settings.max_chunks:,}); use more jobs or less work per point"
        )
    size = units_for(kernel, tasks * seconds, settings)
    return Point(seconds, size, -(-size // tasks), jobs)


def plan_sweep(
    kernel: str,
    shortest: float,
    longest: float,
    count: int,
    jobs: int,
    work_seconds: float,
    settings: Settings | None = None,
    min_tasks: int = 1,
) -> list[Point]:
    """Every point of a sweep, shortest tasks first (ValueError if a point cannot be planned)."""
    return [
        plan_point(kernel, d, jobs, work_seconds, settings, min_tasks)
        for d in durations(shortest, longest, count)
    ]

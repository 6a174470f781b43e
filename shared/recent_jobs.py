"""The dashboard's figures over the recent jobs (JobStore.recent, JobStore.briefs): how many are in each
status, and the throughput and latency of those that finished within the window."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from shared.job_status import FINISHED
from shared.job_store import JobBrief
from shared.percentiles import percentile

# The latency percentiles the dashboard shows.
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class RecentJobs:
    """Recent jobs by status; latencies (seconds from acceptance to answer, sorted) of those that
    finished within the last `window` seconds."""

    window: float
    statuses: dict[str, int]
    latencies: tuple[float, ...]

    @property
    def jobs_per_second(self) -> float:
        """Jobs finished within the window, per second (to 3 decimals)."""
        return round(len(self.latencies) / self.window, 3)

    def percentiles(self) -> dict[str, float | None]:
        """{"p50", "p95", "p99"}: nearest-rank latencies in seconds (to 3 decimals); None if none."""
        found = {f"p{p}": percentile(self.latencies, p) for p in PERCENTILES}
        return {name: None if seconds is None else round(seconds, 3) for name, seconds in found.items()}


def summarize(briefs: Iterable[JobBrief], now: float, window: float) -> RecentJobs:
    """The figures over these jobs, `now` and `window` in seconds."""
    statuses: Counter[str] = Counter()
    latencies = []
    for job in briefs:
        statuses[job.status] += 1
        if job.status == FINISHED and job.ended_at is not None and now - job.ended_at <= window:
            latencies.append(job.ended_at - job.created_at)
    return RecentJobs(window, dict(statuses), tuple(sorted(latencies)))

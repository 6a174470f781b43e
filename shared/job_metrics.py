"""Job counters and latency histograms in Redis, kept where jobs are created and where they end.

A job is accepted by the API but finished by whichever worker merges its last chunk, so no one process
can count them: the counts live in one Redis hash, KEY, changed in the same atomic step that creates or
ends a job (shared.job_store: its create pipeline, and the Lua scripts that end a job, which call
`count_ended` from LUA). GET /metrics reads the hash at scrape time (`read`); nothing here runs on a
timer. The hash has no expiry: its counts live as long as Redis's data (`make down` resets them, which
Prometheus reads as a counter reset).

Fields: `accepted|MODE|KERNEL`, `STATUS|MODE|KERNEL` (finished, failed, canceled) and, for finished
jobs, histograms `latency|MODE|KERNEL|…` (accepted to finished: what a client waits) and
`run|MODE|KERNEL|…` (first start to finished), each as one count per bucket (`le=BOUND`, not cumulative)
and `sum`. Modes and kernels are validated names (shared.jobs), so the series are few and bounded.
"""

from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from shared.job_status import ENDED
from shared.redis_script import lua_file

KEY = "cpuc:metrics:jobs"
HISTOGRAMS = ("latency", "run")
# Upper bounds (seconds) of the latency buckets: from one small chunk (~50 ms) to JOB_TIMEOUT's default.
# Part of the stored data's layout, not a tunable: counts already in Redis are per bound, so changing
# them would mix two layouts in one histogram.
BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0, 120.0, 300.0)
INF = "+Inf"

# Prepended to the scripts that end a job: `count_ended(metrics, status, ended_at, fields)` (job_metrics.lua).
LUA = lua_file(__file__, "job_metrics.lua", BOUNDS=BOUNDS)


def count_accepted(pipeline: Any, mode: str, kernel: str) -> None:
    """Count a new job, in the pipeline (a MULTI) that creates its record."""
    pipeline.hincrby(KEY, f"accepted|{mode}|{kernel}", 1)


@dataclass
class Histogram:
    """Cumulative bucket counts by upper bound (BOUNDS, then +Inf), and the sum of the observations."""

    buckets: list[tuple[str, int]]
    sum: float


@dataclass
class JobMetrics:
    """What `read` found: counts by (mode, kernel) and (mode, kernel, status), histograms by name."""

    accepted: dict[tuple[str, str], int] = field(default_factory=dict)
    ended: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # {"latency" | "run": {(mode, kernel): Histogram}}
    histograms: dict[str, dict[tuple[str, str], Histogram]] = field(
        default_factory=lambda: {name: {} for name in HISTOGRAMS}
    )


def read(redis: Redis) -> JobMetrics:
    """Every count and histogram, from one HGETALL."""
    found = JobMetrics()
    per_bucket: dict[tuple[str, str, str], dict[str, int]] = {}
    sums: dict[tuple[str, str, str], float] = {}
    for raw_name, raw_value in redis.hgetall(KEY).items():
        kind, mode, kernel, *rest = raw_name.decode().split("|")
        value = raw_value.decode()
        if kind == "accepted":
            found.accepted[(mode, kernel)] = int(value)
        elif kind in ENDED:
            found.ended[(mode, kernel, kind)] = int(value)
        elif kind in HISTOGRAMS and rest == ["sum"]:
            sums[(kind, mode, kernel)] = float(value)
        elif kind in HISTOGRAMS and rest and rest[0].startswith("le="):
            per_bucket.setdefault((kind, mode, kernel), {})[rest[0][3:]] = int(value)
    for (kind, mode, kernel), counts in per_bucket.items():
        total, cumulative = 0, []
        for bound in [*(_lua_number(b) for b in BOUNDS), INF]:
            total += counts.get(bound, 0)
            cumulative.append((_prometheus_bound(bound), total))
        found.histograms[kind][(mode, kernel)] = Histogram(cumulative, sums.get((kind, mode, kernel), 0.0))
    return found


def _lua_number(bound: float) -> str:
    """A bound as Lua's tostring writes it ("%.14g": 1.0 is "1", 0.05 is "0.05")."""
    return f"{bound:.14g}"


def _prometheus_bound(bound: str) -> str:
    """The `le` label Prometheus's own clients write (floats: "1.0", "0.05", "+Inf")."""
    return bound if bound == INF else repr(float(bound))

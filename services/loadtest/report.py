"""Summarise a load test: throughput, latency percentiles, where jobs ran, and whether answers are exact."""

import statistics
from collections import Counter
from typing import Any

from services.loadtest.runner import JobOutcome
from services.loadtest.workload import Workload
from shared.tally import Tally


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation, None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarise(workload: Workload, outcomes: list[JobOutcome], wall: float, expected: Tally) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    finished = [o for o in outcomes if o.status == "finished"]
    exact = [
        o
        for o in finished
        if o.view["result"]["result"]["count"] == expected.count
        and o.view["result"]["result"]["histogram"] == expected.histogram
    ]
    latencies = sorted(o.latency for o in finished)
    cpu_seconds = sum(o.view["result"]["cpu_seconds"] for o in finished)
    return {
        "workload": {
            "kernel": workload.kernel,
            "size": workload.size,
            "jobs": workload.jobs,
            "concurrency": workload.concurrency,
            "chunk_size": workload.chunk_size,
        },
        "expected": {"count": expected.count, "histogram": expected.histogram},
        "statuses": dict(Counter(o.status for o in outcomes)),
        "submitted": len(outcomes),
        "finished": len(finished),
        "exact": len(exact),
        "wrong": len(finished) - len(exact),
        "wall_seconds": wall,
        "jobs_per_second": len(finished) / wall if wall else 0.0,
        "units_per_second": len(finished) * workload.size / wall if wall else 0.0,
        "latency_seconds": {f"p{q}": percentile(latencies, q) for q in (50, 95, 99)},
        "jobs_cpu_seconds": cpu_seconds,
        # Cores kept busy by the jobs' own kernel work, on average over the run.
        "jobs_cores_busy": cpu_seconds / wall if wall else 0.0,
        "jobs_per_host": dict(Counter(o.view["result"]["host"] for o in finished)),
        "chunk_sizes": sorted({o.view["result"]["chunk_size"] for o in finished}),
        "errors": [o.error for o in outcomes if o.error][:10],
    }

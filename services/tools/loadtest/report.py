"""Summarise a load test: throughput, latency, efficiency against a baseline, CPU per container."""

import statistics
from collections import Counter
from dataclasses import asdict
from typing import Any

from services.tools.loadtest.runner import JobOutcome
from services.tools.loadtest.workload import Workload
from services.tools.monitor.cpu_series import ContainerSeries, summarize
from shared.percentiles import percentile
from shared.tally import Tally

# Seconds each CPU sample covers (Docker's stats tick; the workers report as often).
SAMPLE_PERIOD = 1.0


def _mean_max(points: list[tuple[float, float]]) -> tuple[float | None, float | None]:
    values = [p for _, p in points]
    return (statistics.fmean(values), max(values)) if values else (None, None)


def summarise(
    workload: Workload,
    outcomes: list[JobOutcome],
    window: tuple[float, float],
    expected: Tally,
    baseline: dict[str, Any],
    topology: dict[str, Any],
    docker_series: list[ContainerSeries],
    self_series: dict[str, list[tuple[float, float]]],
) -> dict[str, Any]:
    """The report as a JSON-ready dict. `window` is the run's (start, end) in Unix time."""
    start, end = window
    # A CPU sample is stamped at the end of the second it measures: the one just after the run
    # still covers it.
    sampled_until = end + SAMPLE_PERIOD
    wall = end - start
    finished = [o for o in outcomes if o.status == "finished"]
    exact = [o for o in finished if o.view["result"] == {**expected_result(workload, expected)}]
    latencies = sorted(o.latency for o in finished)
    units_per_second = len(finished) * workload.size / wall if wall else 0.0
    ideal = baseline["units_per_second"] * topology["cpu_budget"] if topology["cpu_budget"] else None
    cpu = summarize(docker_series, start, sampled_until)
    containers = []
    by_name = {s.name: s for s in docker_series}
    for c in cpu.containers:
        self_mean, self_max = _mean_max(
            [p for p in self_series.get(c.hostname, []) if start <= p[0] <= sampled_until]
        )
        # Docker's throttling_data over the run, beside the cgroup's own in the accounting.
        throttled = by_name[c.name].throttled(start, sampled_until)
        containers.append(
            {
                **asdict(c),
                "self_mean_percent": self_mean,
                "self_max_percent": self_max,
                "docker_throttling": None if throttled is None else throttled.as_dict(),
            }
        )
    accepted = [o for o in outcomes if o.status != "rejected"]
    return {
        "workload": asdict(workload),
        "topology": topology,
        "baseline": baseline,
        "expected": {"count": expected.count, "histogram": expected.histogram},
        "statuses": dict(Counter(o.status for o in outcomes)),
        "submitted": len(outcomes),
        "accepted": len(accepted),
        "finished": len(finished),
        "exact": len(exact),
        "wrong": len(finished) - len(exact),
        "lost": sum(o.status == "lost" for o in outcomes),
        "wall_seconds": wall,
        "jobs_per_second": len(finished) / wall if wall else 0.0,
        "units_per_second": units_per_second,
        "ideal_units_per_second": ideal,
        "efficiency": units_per_second / ideal if ideal else None,
        "latency_seconds": {f"p{q}": percentile(latencies, q) for q in (50, 95, 99)},
        "latencies": latencies,
        "jobs_cpu_seconds": sum(o.view["cpu_seconds"] for o in finished),
        "jobs_per_host": dict(Counter(h for o in finished for h in o.view["hosts"])),
        # Distinct chunk sizes the jobs used, with who chose them: "62500 (auto)", "50000 (fixed)".
        "chunk_sizes": sorted(
            {f"{o.view['chunk_size']} ({o.view['chunking']})" for o in finished if o.view["chunk_size"]}
        ),
        "cpu": {
            "containers": containers,
            "services": {name: asdict(s) for name, s in cpu.services.items()},
            "total_cores": cpu.total_cores,
            "worker_cores": cpu.services["worker"].mean_percent / 100 if "worker" in cpu.services else None,
            "worker_cores_self": sum(
                c["self_mean_percent"] or 0 for c in containers if c["service"] == "worker"
            )
            / 100,
        },
        "series": {
            "docker": {s.name: s.window(start, sampled_until) for s in docker_series},
            "self": {
                host: [p for p in points if start <= p[0] <= sampled_until]
                for host, points in self_series.items()
            },
        },
        "window": [start, end],
        "errors": [o.error for o in outcomes if o.error][:10],
    }


def expected_result(workload: Workload, expected: Tally) -> dict[str, Any]:
    """The `result` a finished job of this workload must show."""
    result: dict[str, Any] = {"count": expected.count, "histogram": expected.histogram}
    if workload.kernel == "pi":
        result["estimate"] = 4 * expected.count / workload.size
    return result

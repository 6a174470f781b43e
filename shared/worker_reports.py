"""Where workers publish their self-reports in Redis, and how readers get them back.

Every worker process (an RQ worker: one per container, or WORKER_CONSUMERS of them) writes its own
report; readers get one entry per container (hostname), merged from the reports of its live processes.
Only one process per container appends to the container's CPU series (heartbeat: a lease per host).
"""

import json
from typing import Any

from redis import Redis

PREFIX = "cpuc:worker:"
SERIES_SUFFIX = ":series"
# Container-wide figures, the same whichever of its processes reads them: taken from the newest report.
_CONTAINER_FIELDS = (
    "cpu_quota",
    "cpu_percent",
    "cpu_seconds",
    # The CFS throttling counters (shared/cgroup/throttling.py), cumulative: periods, throttled ones, seconds.
    "cpu_periods",
    "cpu_throttled_periods",
    "cpu_throttled_seconds",
    # The network bytes in and out of the container (shared/net/counters.py), cumulative.
    "net_rx_bytes",
    "net_tx_bytes",
    "updated_at",
)
# Per-process figures: summed over the container's live processes.
_SUMMED_FIELDS = ("pool_processes", "jobs_done", "chunks_done")


def report_key(worker_name: str) -> str:
    """The latest report of one worker process, by its RQ worker name ("<hostname>.<pid>.<token>")."""
    return PREFIX + worker_name


def series_key(host: str) -> str:
    """A worker container's CPU series: JSON [unix time, cpu %] items, oldest first."""
    return PREFIX + host + SERIES_SUFFIX


def read_reports(redis: Redis) -> list[dict[str, Any]]:
    """One report per live worker container, by hostname (see merge_by_host)."""
    keys = sorted(
        k for k in redis.scan_iter(match=PREFIX + "*", count=1000) if not k.endswith(SERIES_SUFFIX.encode())
    )
    return merge_by_host([json.loads(raw) for raw in (redis.mget(keys) if keys else []) if raw is not None])


def merge_by_host(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reports of each host's processes as one per host, by hostname.

    CPU use, quota and time are the container's (cgroup): the newest report's. Pool processes, jobs and
    chunks done are each process's own: summed. `consumers` counts the processes that reported;
    `worker_class` lists their RQ worker classes (one, unless processes of one host differ); `ready`
    holds when every one of them is ready (registered with RQ, its pool whole).
    """
    by_host: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        by_host.setdefault(report["host"], []).append(report)
    merged = []
    for host in sorted(by_host):
        group = by_host[host]
        newest = max(group, key=lambda r: r["updated_at"])
        classes = sorted({r["worker_class"] for r in group if r.get("worker_class")})
        merged.append(
            {
                "host": host,
                **{field: newest.get(field) for field in _CONTAINER_FIELDS},
                **{field: sum(r[field] for r in group) for field in _SUMMED_FIELDS},
                "consumers": len(group),
                "ready": all(r.get("ready", False) for r in group),
                "worker_class": ", ".join(classes) or None,
            }
        )
    return merged


def total_quota(quotas: list[float | None]) -> float | None:
    """The containers' CPU quotas added up, in CPUs; None if any container has none (no limit)."""
    return None if None in quotas else sum(q for q in quotas if q is not None)


def read_series(redis: Redis, since: float = 0.0) -> dict[str, list[tuple[float, float]]]:
    """Each worker container's CPU points ([unix time, cpu %]) newer than `since`, oldest first, by host.

    Hosts with no point after `since` are left out, so a container gone for longer than the window
    drops off a chart instead of lingering as a flat line.
    """
    keys = sorted(k.decode() for k in redis.scan_iter(match=PREFIX + "*" + SERIES_SUFFIX, count=1000))
    if not keys:
        return {}
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.lrange(key, 0, -1)
    series = {}
    for key, items in zip(keys, pipe.execute(), strict=True):
        # Sorted: when the appending process hands over (it stopped), the next one's clock may differ.
        points = sorted((t, cpu) for t, cpu in map(json.loads, items) if t > since)
        if points:
            series[key[len(PREFIX) : -len(SERIES_SUFFIX)]] = points
    return series

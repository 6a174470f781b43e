"""Bytes the workers moved for jobs, stack-wide: read out of Redis and pickled to pool processes.

Each job's record keeps its own; these two totals, one Redis hash, add up every job's so GET /metrics
can export them as counters without reading every record. A worker adds to both in one step
(worker/data/accounting.py). Like the job counters (shared/job_metrics.py) they live as long as Redis's
data.
"""

from redis import Redis

KEY = "cpuc:metrics:bytes"
FIELDS = ("read", "pickled")


def totals(redis: Redis) -> dict[str, int]:
    """Bytes read and pickled for jobs since Redis's data began: {"read": n, "pickled": n}."""
    found = redis.hmget(KEY, FIELDS)
    return {name: int(raw or 0) for name, raw in zip(FIELDS, found, strict=True)}

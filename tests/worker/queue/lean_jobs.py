"""Job functions for tests/worker/queue/test_lean_worker.py, importable by name as RQ requires."""

import time

from rq import get_current_job


def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


def count_runs_then_fail(counter_key: str) -> None:
    """Count this run in Redis, then fail (a retried job runs it once per attempt)."""
    job = get_current_job()
    assert job is not None
    job.connection.incr(counter_key)
    raise ValueError("this job always fails")


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def record(key: str, label: str) -> str:
    """Append `label` to the Redis list `key`: the order in which jobs ran."""
    job = get_current_job()
    assert job is not None
    job.connection.rpush(key, label)
    return label

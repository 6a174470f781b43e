"""Job functions for tests/worker/queue/test_lean_worker.py, importable by name as RQ requires."""

import time

from rq import get_current_job


def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


def own_dates() -> dict[str, str]:
    """The job as the worker running it holds it: its dates (RQ's utcformat), its serializer's name and
    its meta (read by that serializer)."""
    from rq.utils import utcformat

    job = get_current_job()
    assert job is not None and job.created_at is not None and job.enqueued_at is not None
    return {
        "created_at": utcformat(job.created_at),
        "enqueued_at": utcformat(job.enqueued_at),
        "serializer": f"{job.serializer.__module__}.{job.serializer.__qualname__}",
        "meta": job.meta,
    }


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


def leave_merge_then_fail(job_id: str, index: int, lo: int, hi: int) -> None:
    """A chunk that computes its answer and leaves its merge for LeanWorker's finish (as worker.tasks
    does), then fails: the finish never runs, so the worker merges it itself."""
    import os
    import socket

    from shared.entries import entry_id
    from shared.kernels.primes import count_primes
    from worker.queue import handoff

    merge = handoff.Merge(index, count_primes(lo, hi), 0.001, socket.gethostname(), [os.getpid()])
    assert handoff.leave_merge(entry_id(job_id, index), merge)
    raise RuntimeError("failed after its chunk was computed")

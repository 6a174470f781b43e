"""In-node aggregation cost per item (the lab's experiments, imported), and its share of a real job.

The share: a job's pool processes take SharedTally's lock once per chunk; a merge is timed directly
here and set against the kernel time of the chunk it closes (the calibrated ~20 ms chunk).
"""

import multiprocessing
import statistics
import time
from typing import Any

import redis

from shared.job_store import JobStore
from shared.tally import BINS, Tally
from worker.lab import manager, shared_value
from worker.lab.defaults import CONTENDERS
from worker.lab.procs import context
from worker.pool.aggregation import SharedTally


def _count(n: int) -> int:
    """A pool task: count n items locally and return the partial result."""
    count = 0
    for _ in range(n):
        count += 1
    return count


def partial_results(n: int, contenders: int = CONTENDERS) -> float:
    """Seconds per item when each pool task returns its partial count and the parent adds them."""
    tasks = contenders * 4
    with context().Pool(contenders) as pool:
        pool.map(_count, [1] * contenders)  # every pool process has started
        t0 = time.perf_counter()
        total = sum(pool.map(_count, [n * contenders // tasks] * tasks, chunksize=1))
        seconds = time.perf_counter() - t0
    assert total == n * contenders // tasks * tasks
    return seconds / total


def serial(n: int) -> float:
    """Seconds per item of the same count in one process, no sharing at all."""
    t0 = time.perf_counter()
    _count(n)
    return (time.perf_counter() - t0) / n


def merge_seconds(merges: int) -> float:
    """Seconds per SharedTally.merge of a full partial (count + 10 bins), uncontended, as in a pool task."""
    tally = SharedTally(multiprocessing.get_context("fork"))
    tally.reset(1)
    part = Tally(1_000, [100] * BINS)
    t0 = time.perf_counter()
    for _ in range(merges):
        tally.merge(part, 1)
    return (time.perf_counter() - t0) / merges


def redis_merge_seconds(connection: redis.Redis, merges: int) -> float:
    """Seconds per JobStore.merge_chunk (the Lua merge of a distributed chunk, pids and expiries included)."""
    store = JobStore(connection, 600)
    spec = {"kernel": "primes", "params": {}}
    store.create("bench-merge", spec, "distributed", chunk_size=1, chunks_total=merges + 1, chunking="fixed")
    part = Tally(1_000, [100] * BINS)
    t0 = time.perf_counter()
    for i in range(merges):
        store.merge_chunk("bench-merge", i, part, 0.02, "bench", [4321])
    return (time.perf_counter() - t0) / merges


def in_node(increments: int, manager_ops: int) -> dict[str, float]:
    """Seconds per item of each way to aggregate across a fork Pool(2) / 2 processes."""
    return {
        "lock_per_item": shared_value.contend("locked", increments).per_increment,
        "local_then_merge": shared_value.contend("merged", increments).per_increment,
        "partial_results": partial_results(increments),
        "manager_proxy": manager.compare(manager_ops).per_op["Manager Value + Manager Lock"],
        "serial": serial(increments * CONTENDERS),
    }


def share(merge: float, chunk_seconds: float, chunks_per_job: int) -> dict[str, Any]:
    """The aggregation share of a job of `chunks_per_job` chunks: its merges over its kernel time."""
    return {
        "merge_seconds": merge,
        "chunks_per_job": chunks_per_job,
        "job_kernel_seconds": chunk_seconds * chunks_per_job,
        "share": merge * chunks_per_job / (chunk_seconds * chunks_per_job),
    }


def median_of(fn: Any, *args: Any, repeats: int = 3) -> float:
    return statistics.median(fn(*args) for _ in range(repeats))

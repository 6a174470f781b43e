"""A warm pool against a pool created for each job (fork and forkserver), for a small job."""

import statistics
import time
from typing import Any

from services.bench.defaults import CPU_LO, SMALL_JOB_CHUNKS
from worker.pool import WarmPool

METHODS = ("fork", "forkserver")
PROCESSES = 2


def small_job(width: int) -> list[tuple[int, int]]:
    return [(CPU_LO + i * width, CPU_LO + (i + 1) * width) for i in range(SMALL_JOB_CHUNKS)]


def warm(method: str, chunks: list[tuple[int, int]], runs: int) -> list[float]:
    """Seconds per job on one pool kept for every job."""
    pool = WarmPool(PROCESSES, method)
    try:
        pool.run("primes", {}, chunks)  # every pool process has started
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            pool.run("primes", {}, chunks)
            times.append(time.perf_counter() - t0)
        return times
    finally:
        pool.close()


def per_job(method: str, chunks: list[tuple[int, int]], runs: int) -> list[float]:
    """Seconds per job when each job creates its pool, runs, and closes it."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        pool = WarmPool(PROCESSES, method)
        try:
            pool.run("primes", {}, chunks)
        finally:
            pool.close()
        if i:  # the first also starts forkserver's server, once per process: not a per-job cost
            times.append(time.perf_counter() - t0)
    return times


def run(width: int, runs: int) -> dict[str, Any]:
    chunks = small_job(width)
    out: dict[str, Any] = {"chunks": len(chunks), "chunk_width": width, "processes": PROCESSES}
    for method in METHODS:
        w, p = statistics.median(warm(method, chunks, runs)), statistics.median(per_job(method, chunks, runs))
        out[method] = {"warm_seconds": w, "per_job_seconds": p, "ratio": p / w}
    return out

"""A warm pool against a pool created for each job (fork and forkserver), for a small job; and the
parent's CPU per task of the stdlib Pool, of our QuietPool, and of our WarmPool's run (which waits on one
result for the whole run). The pools measured are the worker's own (worker.pool.warm), imported: a bench
of them cannot use a copy in shared/."""

import multiprocessing
import multiprocessing.pool
import statistics
import time
from typing import Any

from services.tools.bench.defaults import CPU_LO, SMALL_JOB_CHUNKS
from shared.kernels.primes import count_primes
from worker.pool.warm import QuietPool, WarmPool

METHODS = ("fork", "forkserver")
PROCESSES = 2
# Tasks of the parent-CPU figure (each a small job's chunk, ~1 ms), read on this process's own CPU clock
# (every thread, to the scheduler's ns; /proc's 10 ms ticks would be one tick for 400 tasks of 25 µs).
PARENT_CPU_TASKS = 400


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
    out["parent_cpu_per_task"] = parent_cpu_per_task(width, PARENT_CPU_TASKS)
    return out


def _primes_task(bounds: tuple[int, int]) -> int:
    return count_primes(*bounds).count


def parent_cpu_per_task(width: int, tasks: int, method: str = "forkserver") -> dict[str, float]:
    """This process's CPU seconds per task while a Pool(2) runs `tasks` CPU-bound tasks of `width` units:
    the stdlib Pool, then QuietPool (whose worker-handler thread does not wake per result), both read
    result by result (imap), then WarmPool.run (a QuietPool whose caller waits on the run's one result,
    and reads the progress from shared memory)."""
    ctx = multiprocessing.get_context(method)
    work = [(CPU_LO + i * width, CPU_LO + (i + 1) * width) for i in range(tasks)]
    out = {}
    for name, cls in (("stdlib", multiprocessing.pool.Pool), ("quiet", QuietPool)):
        pool = cls(PROCESSES, context=ctx)
        try:
            list(pool.imap_unordered(_primes_task, work[:PROCESSES]))  # started
            cpu0 = time.process_time()
            list(pool.imap_unordered(_primes_task, work, chunksize=1))
            out[name] = (time.process_time() - cpu0) / tasks
        finally:
            pool.terminate()
            pool.join()
    warm_pool = WarmPool(PROCESSES, method)
    try:
        warm_pool.run("primes", {}, work[:PROCESSES])  # started
        cpu0 = time.process_time()
        warm_pool.run("primes", {}, work)
        out["warm"] = (time.process_time() - cpu0) / tasks
    finally:
        warm_pool.close()
    return out

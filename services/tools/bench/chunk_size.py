"""The automatic chunk size: what the API and a worker choose for jobs of several sizes, and the share
of the work that the fixed cost per chunk takes, with that cost as measured earlier in the same run."""

import time
from typing import Any

from services.api.enqueue import chunking_of
from shared.cost import estimate_seconds
from shared.jobs import parse_job
from shared.kernels import run_kernel
from shared.settings import get_settings
from worker.tasks import pool_chunking

# primes in [0, stop) for each stop: from a job too small to split to one of ~1 s.
STOPS = (10_000, 100_000, 500_000, 2_000_000)
POOL_PROCESSES = 2


def run(queue_chunk_seconds: float, stops: tuple[int, ...] = STOPS) -> dict[str, Any]:
    """Per job size: its measured work, the queue and pool chunkings chosen, and their overhead shares.

    `queue_chunk_seconds` is our per-job overhead from figure 1; a pool task's is POOL_TASK_OVERHEAD_SECONDS.
    """
    settings = get_settings()
    rows = []
    for stop in stops:
        spec = parse_job({"kernel": "primes", "params": {"start": 0, "stop": stop}, "mode": "distributed"})
        t0 = time.perf_counter()
        run_kernel("primes", {}, 0, stop)
        work = time.perf_counter() - t0
        queue = chunking_of(spec)
        assert queue is not None
        queue_chunks = -(-stop // queue.size)
        pool = pool_chunking("primes", range(stop), None, POOL_PROCESSES)
        pool_chunks = -(-stop // pool.size)
        rows.append(
            {
                "stop": stop,
                "work_seconds": work,
                "estimated_seconds": estimate_seconds("primes", 0, stop),
                "queue_chunks": queue_chunks,
                "queue_chunk_size": queue.size,
                "queue_overhead_share": queue_chunks * queue_chunk_seconds / work,
                "pool_chunks": pool_chunks,
                "pool_chunk_size": pool.size,
                "pool_overhead_share": pool_chunks * settings.pool_task_overhead_seconds / work,
            }
        )
    return {
        "queue_chunk_seconds": queue_chunk_seconds,
        "pool_task_seconds": settings.pool_task_overhead_seconds,
        "share_target": settings.chunk_overhead_share,
        "pool_processes": POOL_PROCESSES,
        "jobs": rows,
    }

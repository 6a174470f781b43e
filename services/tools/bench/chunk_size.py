"""The automatic chunk size: what the plan chooses for jobs of several sizes, and the share of the work
that the fixed cost per chunk takes, with that cost as measured earlier in the same run."""

import time
from typing import Any

from services.tools.stack import host_settings
from shared.cost import estimate_seconds
from shared.jobs import parse_job
from shared.kernels import run_kernel
from shared.plan import plan_job

# primes in [0, stop) for each stop: from a job too small to split to one of ~1 s.
STOPS = (10_000, 100_000, 500_000, 2_000_000)


def run(queue_chunk_seconds: float, stops: tuple[int, ...] = STOPS) -> dict[str, Any]:
    """Per job size: its measured work, the queue chunks (distributed) and pool tasks (local) its plan
    makes, and their overhead shares.

    `queue_chunk_seconds` is our per-job overhead from figure 1; a pool task's is POOL_TASK_OVERHEAD_SECONDS.
    """
    settings = host_settings()
    rows = []
    for stop in stops:
        params = {"start": 0, "stop": stop}
        queue = plan_job(parse_job({"kernel": "primes", "params": params, "mode": "distributed"}))
        pool = plan_job(parse_job({"kernel": "primes", "params": params, "mode": "local"}))
        t0 = time.perf_counter()
        run_kernel("primes", params, 0, stop)
        work = time.perf_counter() - t0
        rows.append(
            {
                "stop": stop,
                "work_seconds": work,
                "estimated_seconds": estimate_seconds("primes", 0, stop),
                "queue_chunks": queue.chunks_total,
                "queue_chunk_size": queue.chunk_size,
                "queue_overhead_share": queue.chunks_total * queue_chunk_seconds / work,
                "pool_chunks": pool.chunks_total,
                "pool_chunk_size": pool.chunk_size,
                "pool_overhead_share": pool.chunks_total * settings.pool_task_overhead_seconds / work,
            }
        )
    return {
        "queue_chunk_seconds": queue_chunk_seconds,
        "pool_task_seconds": settings.pool_task_overhead_seconds,
        "share_target": settings.chunk_overhead_share,
        "jobs": rows,
    }

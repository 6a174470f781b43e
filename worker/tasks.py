"""The RQ job function: validate, split into chunks, run on the warm pool, report."""

import socket
import time
from typing import Any

from shared.chunking import default_chunk_size, split
from shared.jobs import PiJob, parse_job
from shared.settings import get_settings
from worker import runtime


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a whole job on this container's pool; the returned dict is the job's result (JSON)."""
    wall_start = time.perf_counter()
    job = parse_job(spec)
    pool = runtime.get()
    units = job.units()
    chunk_size = job.chunk_size or default_chunk_size(
        len(units), pool.processes, get_settings().chunks_per_process
    )
    run = pool.run(job.kernel, job.params.model_dump(), split(units, chunk_size))
    answer: dict[str, Any] = {"count": run.tally.count, "histogram": run.tally.histogram}
    if isinstance(job, PiJob):
        answer["estimate"] = 4 * run.tally.count / job.params.samples
    return {
        "kernel": job.kernel,
        "params": job.params.model_dump(),
        "result": answer,
        "host": socket.gethostname(),
        "pool": {"processes": pool.processes, "start_method": pool.start_method, "pids": run.pids},
        "chunks": run.chunks,
        "chunk_size": chunk_size,
        "wall_seconds": time.perf_counter() - wall_start,
        "cpu_seconds": run.cpu_seconds,
    }

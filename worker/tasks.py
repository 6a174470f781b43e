"""The RQ job functions: a whole job on this container's pool, or one chunk of a distributed job.

Results go to the job's record in Redis (shared.job_store), which the API reads; RQ's own result is
only a short summary for its registries.
"""

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from shared.chunking import ChunkPlan, plan_chunks, split
from shared.cost import estimate_seconds
from shared.jobs import parse_job
from shared.kernels import run_kernel
from shared.settings import get_settings
from worker import runtime
from worker.queue import retries

# Jobs and chunks this process has completed, for the worker's self-report (GET /workers).
completed = {"jobs": 0, "chunks": 0}
# Set when a job function starts: wakes a heartbeat that rests between beats of an idle container, so
# even a short run has its CPU reported from its first second.
work_started = threading.Event()


@contextmanager
def _failures_recorded(job_id: str, whole_job: bool) -> Iterator[None]:
    """A run that raises is re-raised for RQ; the record says `failed`, with the error readable through
    the API, unless RQ will retry it (worker.queue.retries): then it says why and waits for the next run."""
    try:
        yield
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if retries.will_retry(exc):
            runtime.store().requeued(job_id, error, whole_job)
        else:
            runtime.store().fail(job_id, error, traceback.format_exc())
        raise


def _cancel_check(job_id: str) -> Callable[[], bool]:
    return lambda: runtime.store().status(job_id) == "canceled"


def pool_chunking(kernel: str, units: range, requested: int | None, processes: int) -> ChunkPlan:
    """How to split `units` into pool tasks: as the job asks, else automatically from its estimated work."""
    settings = get_settings()
    return plan_chunks(
        len(units),
        requested,
        lambda: estimate_seconds(kernel, units.start, units.stop),
        processes,
        settings.chunks_per_process,
        settings.pool_task_overhead_seconds,
        settings.chunk_overhead_share,
    )


def run_local(job_id: str) -> dict[str, Any]:
    """Run a whole job on this container's pool (mode `local`)."""
    work_started.set()
    store, pool, host = runtime.store(), runtime.get(), runtime.host()
    with _failures_recorded(job_id, whole_job=True):
        spec, status = store.begin(job_id, host, pool.processes)
        if spec is None:
            return {"skipped": status}
        job = parse_job(spec)
        units = job.units()
        chunking = pool_chunking(job.kernel, units, job.chunk_size, pool.processes)
        chunks = split(units, chunking.size)
        store.set_chunking(job_id, len(chunks), chunking)
        run = pool.run(
            job.kernel,
            job.params.model_dump(),
            chunks,
            on_progress=lambda done: store.set_progress(job_id, done),
            should_cancel=_cancel_check(job_id),
        )
        store.record_pids(job_id, host, run.pids)
        if run.canceled:
            return {"canceled": True, "host": host}
        store.finish_local(job_id, run.tally, run.cpu_seconds, host, run.chunks)
        completed["jobs"] += 1
        completed["chunks"] += run.chunks
        return {"host": host, "count": run.tally.count, "chunks": run.chunks}


def run_chunk(job_id: str, index: int, lo: int, hi: int, hybrid: bool = False) -> dict[str, Any]:
    """Run chunk `index` = units [lo, hi) of a distributed job here, or of a hybrid one across the pool
    (here too when the pool has one process).

    Two round trips besides the kernel: `begin` (started + the job's request) and `merge_chunk`.
    """
    work_started.set()
    store, host = runtime.store(), runtime.host()
    with _failures_recorded(job_id, whole_job=False):
        pool = runtime.get() if hybrid else None
        if pool is not None and pool.processes == 1:
            # A pool of one process would add a hop (~1 ms per chunk, `make bench`) and no parallelism:
            # on a 1-CPU worker a hybrid chunk runs here, as a distributed one does.
            pool = None
        spec, status = store.begin(job_id, host, pool.processes if pool else 1)
        if spec is None:
            return {"skipped": status}
        job = parse_job(spec)
        if pool is not None:
            run = pool.run(
                job.kernel,
                job.params.model_dump(),
                split(range(lo, hi), pool_chunking(job.kernel, range(lo, hi), None, pool.processes).size),
                should_cancel=_cancel_check(job_id),
            )
            if run.canceled:
                return {"canceled": True, "host": host}
            tally, cpu_seconds, pids = run.tally, run.cpu_seconds, run.pids
        else:
            cpu_start = time.process_time()
            tally = run_kernel(job.kernel, job.params.model_dump(), lo, hi)
            cpu_seconds, pids = time.process_time() - cpu_start, [os.getpid()]
        done = store.merge_chunk(job_id, index, tally, cpu_seconds, host, pids)
        completed["chunks"] += 1
        return {"host": host, "merged": done >= 0, "chunks_done": done}

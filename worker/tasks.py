"""The RQ job functions: a whole job on this container's pool, or one chunk of a distributed job.

Each carries out the plan its queue entry names (units, pool task size; shared.plan) without deciding
anything again, and reads the job's kernel and params from its record as the API accepted them: no
limit of this worker's settings is checked again, so a worker never fails a job the API accepted.
Results go to the job's record in Redis (shared.job_store), which the API reads; RQ's own result is
only a short summary for its registries. Every write that starts or ends a job goes through
worker.queue.recovery.persist: while Redis refuses it (out of memory, away) it is tried again, the
worker unready meanwhile, so an accepted job's end lands once Redis takes writes again. Progress and
the cancel check are best effort: a refusal skips them.
"""

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from shared.chunking import split
from shared.entries import entry_id
from shared.job_status import CANCELED
from worker import runtime
from worker.data import staging as data
from worker.queue import handoff, retries
from worker.queue.recovery import REFUSALS, persist

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
            persist("note a retry", runtime.store().requeued, job_id, error, whole_job)
        else:
            persist("end a failed job", runtime.store().fail, job_id, error, traceback.format_exc())
        raise


def _cancel_check(job_id: str) -> Callable[[], bool]:
    def canceled() -> bool:
        try:
            return runtime.store().status(job_id) == CANCELED
        except REFUSALS:
            return False  # asked again at the next relay pass

    return canceled


def _progress(job_id: str) -> Callable[[int], None]:
    def note(done: int) -> None:
        with contextlib.suppress(REFUSALS):  # refused: the next pass, or the end, writes it
            runtime.store().set_progress(job_id, done)

    return note


def _begin(
    job_id: str, index: int | None, host: str, pool_processes: int
) -> tuple[dict[str, Any] | None, str]:
    """The job's request and status: from the begin that LeanWorker's take did for this entry, else from
    the store's own begin (a round trip; stock SimpleWorker)."""
    begun = handoff.begun(entry_id(job_id, index))
    if begun is not None:
        return begun.spec, begun.status
    return persist("start a job", runtime.store().begin, job_id, host, pool_processes)


def run_local(job_id: str, lo: int, hi: int, task_size: int) -> dict[str, Any]:
    """Run a whole job, units [lo, hi), on this container's pool in tasks of `task_size` units (mode
    `local`): the plan the API made (shared.plan), carried out as it is."""
    work_started.set()
    store, pool, host = runtime.store(), runtime.get(), runtime.host()
    with _failures_recorded(job_id, whole_job=True):
        spec, status = _begin(job_id, None, host, pool.processes)
        if spec is None:
            return {"skipped": status}
        run = data.on_pool(
            job_id,
            pool,
            spec,
            split(range(lo, hi), task_size),
            on_progress=_progress(job_id),
            should_cancel=_cancel_check(job_id),
        )
        persist("note a job's processes", store.record_pids, job_id, host, run.pids)
        if run.canceled:
            return {"canceled": True, "host": host}
        persist("end a job", store.finish_local, job_id, run.tally, run.cpu_seconds, host, run.chunks)
        completed["jobs"] += 1
        completed["chunks"] += run.chunks
        return {"host": host, "count": run.tally.count, "chunks": run.chunks}


def run_chunk(job_id: str, index: int, lo: int, hi: int, task_size: int | None = None) -> dict[str, Any]:
    """Run chunk `index` = units [lo, hi) of a job: here, in one process (distributed: `task_size` None),
    or across the pool in tasks of `task_size` units (hybrid; here too when the pool has one process).

    Two round trips besides the kernel, `begin` (started + the job's request) and `merge_chunk`, unless
    LeanWorker folds them into its take and finish of the entry (worker.queue.handoff).
    """
    work_started.set()
    store, host = runtime.store(), runtime.host()
    with _failures_recorded(job_id, whole_job=False):
        pool = runtime.get() if task_size else None
        if pool is not None and pool.processes == 1:
            # A pool of one process would add a hop (~1 ms per chunk, `make bench`) and no parallelism:
            # on a 1-CPU worker a hybrid chunk runs here, as a distributed one does.
            pool = None
        spec, status = _begin(job_id, index, host, pool.processes if pool else 1)
        if spec is None:
            return {"skipped": status}
        if pool is not None and task_size:
            run = data.on_pool(
                job_id,
                pool,
                spec,
                split(range(lo, hi), task_size),
                should_cancel=_cancel_check(job_id),
            )
            if run.canceled:
                return {"canceled": True, "host": host}
            tally, cpu_seconds, pids = run.tally, run.cpu_seconds, run.pids
        else:
            cpu_start = time.process_time()
            tally = data.here(job_id, spec, lo, hi)
            cpu_seconds, pids = time.process_time() - cpu_start, [os.getpid()]
        if handoff.leave_merge(entry_id(job_id, index), handoff.Merge(index, tally, cpu_seconds, host, pids)):
            completed["chunks"] += 1
            return {"host": host, "merged": "by the worker's finish"}
        done = persist("merge a chunk", store.merge_chunk, job_id, index, tally, cpu_seconds, host, pids)
        completed["chunks"] += 1
    return {"host": host, "merged": done >= 0, "chunks_done": done}

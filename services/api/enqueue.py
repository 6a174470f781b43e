"""Enqueueing validated jobs: each becomes a job record plus its queue entries, all written at once.

`local` is one queue entry; `distributed` and `hybrid` are one entry per chunk. Every record and every
entry of a call go out in one MULTI/EXEC, so a call's jobs are either all accepted or none is:
POST /jobs enqueues one job, POST /jobs/batch many.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rq import Queue, Retry
from rq.queue import EnqueueData

from shared.chunking import default_chunk_size, split
from shared.job_store import JobStore
from shared.jobs import PiJob, PrimesJob
from shared.settings import get_settings

# The worker's job functions, named by import path: the API never imports worker code.
RUN_LOCAL = "worker.tasks.run_local"
RUN_CHUNK = "worker.tasks.run_chunk"


@dataclass(frozen=True)
class Planned:
    """One accepted job: its id, its chunking (empty for local), and the queue entries that run it."""

    job_id: str
    spec: dict[str, Any] = field(repr=False)
    mode: str
    chunk_size: int | None
    chunks: list[tuple[int, int]]
    entries: list[EnqueueData] = field(repr=False)

    @property
    def entry_ids(self) -> list[str]:
        """The RQ job ids of its queue entries."""
        return [entry.job_id for entry in self.entries if entry.job_id is not None]


def job_options() -> dict[str, Any]:
    """RQ options of every queue entry: timeout, how long RQ keeps its own result, retries."""
    settings = get_settings()
    options: dict[str, Any] = {
        "timeout": settings.job_timeout,
        "result_ttl": 600,
        "failure_ttl": settings.result_ttl,
    }
    if settings.job_retries:
        # Which failures use these retries is the worker's call: worker/retries.py.
        options["retry"] = Retry(max=settings.job_retries, enqueue_at_front=True)
    return options


def chunk_size_of(spec: PrimesJob | PiJob) -> int | None:
    """The job's queue chunk size (None for local: the worker chooses its pool chunking)."""
    if spec.mode == "local":
        return spec.chunk_size
    return spec.chunk_size or default_chunk_size(len(spec.units()), get_settings().distributed_chunks, 1)


def entry_count(spec: PrimesJob | PiJob) -> int:
    """How many queue entries the job makes: 1 for local, one per chunk otherwise."""
    size = chunk_size_of(spec)
    return 1 if spec.mode == "local" or size is None else -(-len(spec.units()) // size)


def plan(spec: PrimesJob | PiJob, options: dict[str, Any] | None = None) -> Planned:
    """A new id for the job and its queue entries (nothing is written yet)."""
    options = job_options() if options is None else options
    job_id = uuid.uuid4().hex
    body = spec.model_dump()
    chunk_size = chunk_size_of(spec)
    if spec.mode == "local" or chunk_size is None:
        entry = Queue.prepare_data(RUN_LOCAL, args=[job_id], job_id=job_id, **options)
        return Planned(job_id, body, spec.mode, chunk_size, [], [entry])
    chunks = split(spec.units(), chunk_size)
    hybrid = spec.mode == "hybrid"
    entries = [
        Queue.prepare_data(RUN_CHUNK, args=[job_id, i, lo, hi, hybrid], job_id=f"{job_id}-{i}", **options)
        for i, (lo, hi) in enumerate(chunks)
    ]
    return Planned(job_id, body, spec.mode, chunk_size, chunks, entries)


def write(store: JobStore, queue: Queue, jobs: list[Planned]) -> None:
    """Create the records and queue entries of every planned job in one MULTI/EXEC."""
    with store.redis.pipeline() as pipe:
        for job in jobs:
            store.create(job.job_id, job.spec, job.mode, len(job.chunks), job.chunk_size, pipeline=pipe)
        queue.enqueue_many([entry for job in jobs for entry in job.entries], pipeline=pipe)
        pipe.execute()


def enqueue(store: JobStore, queue: Queue, specs: Iterable[PrimesJob | PiJob]) -> list[Planned]:
    """Plan every job, then write them all at once; the jobs, in order."""
    options = job_options()
    jobs = [plan(spec, options) for spec in specs]
    write(store, queue, jobs)
    return jobs

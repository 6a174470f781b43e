"""Enqueueing validated jobs: each becomes a job record plus its queue entries, all written at once.

`local` is one queue entry; `distributed` and `hybrid` are one entry per chunk. Every record and every
entry of a call go out in one atomic step, behind the admission check (admission.py), so a call's jobs
are either all accepted or none is: POST /jobs enqueues one job, POST /jobs/batch many.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from redis.client import Pipeline
from rq import Queue, Retry
from rq.queue import EnqueueData

from services.api import admission
from shared.chunking import ChunkPlan, plan_chunks, split
from shared.cost import estimate_seconds
from shared.job_store import JobKeys, JobStore
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
    chunking: ChunkPlan | None  # None for local: the worker chooses its pool chunking
    chunks: list[tuple[int, int]]
    entries: list[EnqueueData] = field(repr=False)
    units: int  # work units: numbers tested, samples drawn (admission counts them)

    @property
    def entry_ids(self) -> list[str]:
        """The RQ job ids of its queue entries."""
        return [entry.job_id for entry in self.entries if entry.job_id is not None]


def job_options() -> dict[str, Any]:
    """RQ options of every queue entry: timeout, how long RQ keeps its own result, retries."""
    settings = get_settings()
    options: dict[str, Any] = {
        "timeout": settings.job_timeout,
        "result_ttl": settings.queue_result_ttl,
        "failure_ttl": settings.result_ttl,
    }
    if settings.job_retries:
        # Which failures use these retries is the worker's call: worker/queue/retries.py.
        options["retry"] = Retry(max=settings.job_retries, enqueue_at_front=True)
    return options


def chunking_of(spec: PrimesJob | PiJob) -> ChunkPlan | None:
    """The queue chunking of a distributed or hybrid job (fixed, or automatic from its estimated work);
    None for local, whose worker chooses its pool chunking."""
    if spec.mode == "local":
        return None
    settings = get_settings()
    units = spec.units()
    return plan_chunks(
        len(units),
        spec.chunk_size,
        lambda: estimate_seconds(spec.kernel, units.start, units.stop),
        1,  # the consumers are whichever workers are free: balance comes from the chunk count
        settings.distributed_chunks,
        settings.queue_chunk_overhead_seconds,
        settings.chunk_overhead_share,
    )


def entry_count(spec: PrimesJob | PiJob) -> int:
    """How many queue entries the job makes: 1 for local, one per chunk otherwise."""
    chunking = chunking_of(spec)
    return 1 if chunking is None else -(-len(spec.units()) // chunking.size)


def plan(spec: PrimesJob | PiJob, options: dict[str, Any] | None = None) -> Planned:
    """A new id for the job and its queue entries (nothing is written yet)."""
    options = job_options() if options is None else options
    job_id = uuid.uuid4().hex
    body = spec.model_dump()
    chunking = chunking_of(spec)
    if chunking is None:
        entry = Queue.prepare_data(RUN_LOCAL, args=[job_id], job_id=job_id, **options)
        return Planned(job_id, body, spec.mode, None, [], [entry], len(spec.units()))
    chunks = split(spec.units(), chunking.size)
    hybrid = spec.mode == "hybrid"
    entries = [
        Queue.prepare_data(RUN_CHUNK, args=[job_id, i, lo, hi, hybrid], job_id=f"{job_id}-{i}", **options)
        for i, (lo, hi) in enumerate(chunks)
    ]
    return Planned(job_id, body, spec.mode, chunking, chunks, entries, len(spec.units()))


def write(store: JobStore, queue: Queue, jobs: list[Planned]) -> None:
    """Create the records and queue entries of every planned job in one step, if admitted.

    admission.QueueFull (429) or admission.TooMuchWork (422) if not: then nothing is written.
    """

    def stage(pipe: Pipeline) -> None:
        for job in jobs:
            store.create(job.job_id, job.spec, job.mode, len(job.chunks), job.chunking, pipeline=pipe)
        queue.enqueue_many([entry for job in jobs for entry in job.entries], pipeline=pipe)

    shares = [admission.Share(JobKeys.of(j.job_id).record, len(j.entries), j.units) for j in jobs]
    admission.execute(store.redis, shares, stage)


def enqueue(store: JobStore, queue: Queue, specs: Iterable[PrimesJob | PiJob]) -> list[Planned]:
    """Plan every job, then write them all at once; the jobs, in order."""
    options = job_options()
    jobs = [plan(spec, options) for spec in specs]
    write(store, queue, jobs)
    return jobs

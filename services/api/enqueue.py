"""Enqueueing validated jobs: each becomes a job record plus its queue entries, all written at once.

The job's plan (shared.plan) is made here, once: `local` is one queue entry, `distributed` and `hybrid`
one entry per chunk, and each entry carries its units and its pool task size, which the worker carries
out as they are. Every record and every entry of a call go out in one atomic step, behind the
admission check (admission.py), so a call's jobs are either all accepted or none is: POST /jobs
enqueues one job, POST /jobs/batch many.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from redis.client import Pipeline
from rq import Queue, Retry
from rq.queue import EnqueueData

from services.api import admission
from shared.datasets import keep_for_job
from shared.entries import entry_id, new_job_id
from shared.job_store import JobKeys, JobStore
from shared.jobs import Job
from shared.plan import JobPlan, plan_job
from shared.settings import get_settings

# The worker's job functions, named by import path: the API never imports worker code.
RUN_LOCAL = "worker.tasks.run_local"
RUN_CHUNK = "worker.tasks.run_chunk"


@dataclass(frozen=True)
class Accepted:
    """One accepted job: its id, its request and plan, and the queue entries that run it."""

    job_id: str
    spec: dict[str, Any] = field(repr=False)
    plan: JobPlan
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


def entries_of(job_id: str, plan: JobPlan, options: dict[str, Any]) -> list[EnqueueData]:
    """The queue entries that carry out a plan: each names its units and its pool task size, and its id
    names the job and chunk (shared.entries)."""
    if plan.mode == "local":
        ((lo, hi),) = plan.entries
        return [
            Queue.prepare_data(
                RUN_LOCAL, args=[job_id, lo, hi, plan.task_size], job_id=entry_id(job_id), **options
            )
        ]
    return [
        Queue.prepare_data(
            RUN_CHUNK, args=[job_id, i, lo, hi, plan.task_size], job_id=entry_id(job_id, i), **options
        )
        for i, (lo, hi) in enumerate(plan.entries)
    ]


def accept(spec: Job, options: dict[str, Any] | None = None, plan: JobPlan | None = None) -> Accepted:
    """A new id for the job, its plan (made now unless given) and its queue entries (nothing is
    written yet)."""
    options = job_options() if options is None else options
    job_id = new_job_id()
    plan = plan_job(spec) if plan is None else plan
    return Accepted(job_id, spec.model_dump(), plan, entries_of(job_id, plan, options), len(spec.units()))


def write(store: JobStore, queue: Queue, jobs: list[Accepted]) -> None:
    """Create the records and queue entries of every accepted job in one step, if admitted.

    admission.QueueFull (429) or admission.TooMuchWork (422) if not: then nothing is written.
    """

    def stage(pipe: Pipeline) -> None:
        for job in jobs:
            store.create(
                job.job_id,
                job.spec,
                job.plan.mode,
                chunk_size=job.plan.chunk_size,
                chunks_total=job.plan.chunks_total,
                chunking="auto" if job.plan.auto else "fixed",
                pipeline=pipe,
            )
            if job.spec["kernel"] == "bytes":
                # Its dataset lives at least as long as its record (shared/datasets.py).
                keep_for_job(pipe, job.spec["params"]["dataset"], store.ttl)
        queue.enqueue_many([entry for job in jobs for entry in job.entries], pipeline=pipe)

    shares = [admission.Share(JobKeys.of(j.job_id).record, len(j.entries), j.units) for j in jobs]
    admission.execute(store.redis, shares, stage)


def enqueue(store: JobStore, queue: Queue, specs: Iterable[Job]) -> list[Accepted]:
    """Plan every job, then write them all at once; the jobs, in order."""
    options = job_options()
    jobs = [accept(spec, options) for spec in specs]
    write(store, queue, jobs)
    return jobs

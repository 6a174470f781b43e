"""A job's plan: made once, by the API, from the validated request; carried out by the worker as it is.

The plan says which units each queue entry covers and how the worker cuts them into pool tasks:
- queue entries: `local` is one entry over the job's whole range; `distributed` and `hybrid` are one
  entry per queue chunk of `entry_size` units (the job's `chunk_size`, else automatic);
- pool tasks: a `local` entry, and a `hybrid` chunk, are cut into tasks of `task_size` units
  (shared.chunking.split), the job's `chunk_size` for a local job that sets one, else automatic. The
  worker applies that rule mechanically, whatever its pool size: the pool size only decides how many
  tasks run at once (the Pool hands the next task to whichever process is free), so the API knows every
  count in advance and no worker writes any back. A `distributed` chunk is one task in one process, and
  so is a hybrid chunk on a worker whose pool has one process (the same units, the same answer, no hop).

Automatic sizes come from the job's estimated work (shared.cost, a deterministic model): the same
request gets the same plan on any machine with the same settings.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from shared.chunking import auto_chunk_size, split
from shared.cost import estimate_seconds
from shared.jobs import Job
from shared.settings import get_settings


@dataclass(frozen=True)
class JobPlan:
    """How a job runs: its queue entries and pool tasks, and whether their sizes were chosen here."""

    mode: str
    units: range
    entry_size: int  # units per queue entry (local: the whole range)
    task_size: int | None  # units per pool task; None for distributed (one process per chunk)
    auto: bool  # True: sizes chosen from the estimated work; False: the job fixed its chunk_size

    @property
    def entries(self) -> list[tuple[int, int]]:
        """The (lo, hi) units of each queue entry, in order."""
        return split(self.units, self.entry_size)

    @property
    def entry_count(self) -> int:
        return -(-len(self.units) // self.entry_size)

    @property
    def chunk_size(self) -> int:
        """What the job's record calls its chunks, whose count is its progress: local jobs count pool
        tasks, distributed and hybrid jobs queue chunks."""
        return self.task_size if self.mode == "local" and self.task_size else self.entry_size

    @property
    def chunks_total(self) -> int:
        return -(-len(self.units) // self.chunk_size)


def plan_job(job: Job) -> JobPlan:
    """The plan of a validated job (see the module docstring)."""
    settings = get_settings()
    share = settings.chunk_overhead_share
    units = job.units()
    auto = job.chunk_size is None
    params = job.params.model_dump()
    estimate = auto or job.mode == "hybrid"
    seconds = estimate_seconds(job.kernel, units.start, units.stop, params=params) if estimate else 0.0
    if job.mode == "local":
        tasks = job.chunk_size or auto_chunk_size(
            len(units), seconds, settings.pool_tasks, settings.pool_task_overhead_seconds / share
        )
        return JobPlan(job.mode, units, len(units), tasks, auto)
    entry = job.chunk_size or auto_chunk_size(
        len(units), seconds, settings.distributed_chunks, settings.queue_chunk_overhead_seconds / share
    )
    task = None
    if job.mode == "hybrid":
        # Every chunk is cut the same way, sized from the work of an average one.
        chunk = min(entry, len(units))
        chunk_seconds = seconds * chunk / len(units)
        task = auto_chunk_size(
            chunk, chunk_seconds, settings.pool_tasks, settings.pool_task_overhead_seconds / share
        )
    return JobPlan(job.mode, units, entry, task, auto)


class BatchTooLarge(ValueError):
    """A batch whose jobs together make more queue entries than one batch may carry."""

    def __init__(self, entries: int, limit: int) -> None:
        super().__init__(f"the batch would make {entries} queue entries (chunks), more than {limit}")
        self.entries = entries
        self.limit = limit


def plan_batch(jobs: Sequence[Job]) -> list[JobPlan]:
    """Each job's plan, in order; BatchTooLarge if together they make more queue entries than
    max(MAX_CHUNKS, MAX_BATCH): one MULTI/EXEC carries the whole batch, bounded as one job's chunks are."""
    settings = get_settings()
    limit = max(settings.max_chunks, settings.max_batch)
    plans = [plan_job(job) for job in jobs]
    entries = sum(plan.entry_count for plan in plans)
    if entries > limit:
        raise BatchTooLarge(entries, limit)
    return plans

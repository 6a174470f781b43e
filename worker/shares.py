"""Jobs dealt out in shares before the clock, and the answers of a run merged and reported.

The ceiling (worker/ceiling.py) and the stdlib executors it is compared with (worker/runtimes/) run the
same tasks the same way: every job cut into the pool tasks a local job's plan cuts it into (shared.plan:
automatic, or tasks of N units, as a job that fixes its `chunk_size` asks), the tasks of every job dealt
out round-robin, one share per worker, each worker sending back one reply of per-job partial answers,
which the parent merges. Only what runs the shares differs (a Pool, threads, a ProcessPoolExecutor,
subinterpreters).

A share runs in whatever imports this module: a subinterpreter too (worker/runtimes/interpreters.py),
where an extension module without multi-phase init refuses to load (pydantic_core, through the plan's
settings and job models). So this module imports only the kernels and the stdlib at run time; the plan
is a type here, nothing more (tests/worker/test_share_imports.py holds it to that).
"""

import resource
import time
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.chunking import split
from shared.kernels import run_kernel
from shared.tally import Tally

if TYPE_CHECKING:
    from shared.plan import JobPlan

# (job index, kernel, params, lo, hi): one pool task.
Task = tuple[int, str, dict[str, Any], int, int]


@dataclass(frozen=True)
class Dealt:
    """`jobs` jobs cut into tasks and dealt out in shares, one per worker."""

    jobs: int
    task_size: int
    chunks_per_job: int
    shares: list[list[Task]]

    def blank(self) -> list[Tally]:
        """Every job's answer before any share is merged."""
        return [Tally() for _ in range(self.jobs)]


@dataclass(frozen=True)
class Ran:
    """What a runner measured: every job's merged answer, the wall time, CPU of workers and parent."""

    answers: list[Tally]
    wall_seconds: float
    workers_cpu_seconds: float  # what ran the tasks (pool processes, or the threads)
    parent_cpu_seconds: float  # what dealt them out and merged the answers, besides that


def deal(kernel: str, params: dict[str, Any], plan: "JobPlan", jobs: int, workers: int) -> Dealt:
    """`jobs` jobs of `kernel` with `params`, each cut into the pool tasks of `plan` (a local job's:
    worker/reference_data.py), dealt out round-robin in `workers` shares."""
    assert plan.task_size is not None
    chunks = split(plan.units, plan.task_size)
    tasks = [(job, kernel, params, a, b) for job in range(jobs) for a, b in chunks]
    return Dealt(jobs, plan.task_size, len(chunks), [tasks[i::workers] for i in range(workers)])


def run_share(share: list[Task]) -> dict[int, Tally]:
    """One worker's share of the tasks, run in order; its partial answer per job."""
    answers: dict[int, Tally] = {}
    for job, kernel, params, lo, hi in share:
        answers[job] = answers.get(job, Tally()).merge(run_kernel(kernel, params, lo, hi))
    return answers


def timed_share(share: list[Task]) -> tuple[dict[int, Tally], float]:
    """A share's partial answers, and the CPU seconds its thread spent on them (`time.thread_time`):
    for runners whose workers are threads of this process (threads, subinterpreters), whose CPU no
    child's rusage reports."""
    start = time.thread_time()
    partial = run_share(share)
    return partial, time.thread_time() - start


def run_timed(executor: Executor, dealt: Dealt) -> Ran:
    """The shares on a warm executor whose workers are threads of this process (threads, subinterpreters),
    timed from their submission: each share's thread CPU summed (`timed_share`); the parent's is the rest
    of the process's CPU over the clock (dealing out, unpickling, merging)."""
    answers = dealt.blank()
    start, process_start = time.perf_counter(), time.process_time()
    workers_cpu = 0.0
    for future in as_completed([executor.submit(timed_share, share) for share in dealt.shares]):
        partial, cpu = future.result()
        workers_cpu += cpu
        merge_into(answers, partial)
    wall, process_cpu = time.perf_counter() - start, time.process_time() - process_start
    return Ran(answers, wall, workers_cpu, max(0.0, process_cpu - workers_cpu))


def merge_into(answers: list[Tally], partial: dict[int, Tally]) -> None:
    """One share's partial answers merged into every job's answer."""
    for job, tally in partial.items():
        answers[job] = answers[job].merge(tally)


def children_cpu() -> float:
    """CPU seconds of this process's reaped children so far (a pool's processes, once joined)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def report(dealt: Dealt, workers: int, ran: Ran) -> dict[str, Any]:
    """The run as JSON: wall time, jobs/s, the CPU of workers and parent, and the (equal) answers."""
    first = ran.answers[0]
    return {
        "jobs": dealt.jobs,
        "processes": workers,
        "chunks_per_job": dealt.chunks_per_job,
        "task_size": dealt.task_size,
        "wall_seconds": ran.wall_seconds,
        "workers_cpu_seconds": ran.workers_cpu_seconds,
        "parent_cpu_seconds": ran.parent_cpu_seconds,
        "jobs_per_second": dealt.jobs / ran.wall_seconds,
        "all_equal": all(a == first for a in ran.answers),
        "count": first.count,
        "histogram": first.histogram,
    }

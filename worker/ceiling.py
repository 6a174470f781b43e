"""`python -m worker.ceiling KERNEL SIZE JOBS PROCESSES [--task-size N] [--work W --seed S]`: the same
jobs on a bare Pool.

`make compare` and `make sweep` run this in the worker image under the whole CPU budget (`docker run
--cpus`), so every cell stands beside what this hardware gives the work with nothing of ours in the way
(no queue, no API): a stdlib `multiprocessing.Pool` of PROCESSES, each job cut into the pool tasks a
local job's plan cuts it into (shared.plan: automatic, or tasks of N units with --task-size, as a job
that fixes its `chunk_size` asks). The tasks of every job are dealt out round-robin, one share per
process, before the clock, so no task pays any hand-over: each process runs its share and sends one
reply of per-job partial answers, which the parent merges. That is the ceiling at every task size: a
Pool fed task by task spends ~0.2-0.3 ms of its parent's CPU per task, more than the approaches it
would bound at ~1 ms tasks (`make sweep`).
For `bytes` (`make sweep AXIS=data`) the dataset is made from its seed and staged in this container's
shared memory before the clock (worker/reference_data.py): the ceiling moves no byte.
Processes are started before the clock. Prints JSON: wall time, jobs/s, the CPU of the pool's
processes and of its parent, and the answer of every job (all must be equal; the caller checks it
against the exact one; for `bytes`, the SHA-256 of the data, against the upload's).
"""

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

from shared.chunking import split
from shared.kernels import run_kernel
from shared.plan import JobPlan, plan_job
from shared.tally import Tally
from worker.reference_data import add_arguments, reference_job


def _run_share(share: list[tuple[int, str, dict[str, Any], int, int]]) -> dict[int, Tally]:
    """One process's share of the tasks, run in order; its partial answer per job."""
    answers: dict[int, Tally] = {}
    for job, kernel, params, lo, hi in share:
        answers[job] = answers.get(job, Tally()).merge(run_kernel(kernel, params, lo, hi))
    return answers


def _ready(_: int) -> int:
    return 0


def measure(
    kernel: str,
    size: int,
    jobs: int,
    processes: int,
    task_size: int | None = None,
    work: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """Run `jobs` jobs on a fresh fork Pool(processes); their answers and the wall time of the whole run.

    Tasks of `task_size` units if given (a local job with that `chunk_size`), else the automatic plan's.
    """
    with reference_job(kernel, size, "local", task_size, work, seed) as reference:
        found = _measure(kernel, reference.params, plan_job(reference.job), jobs, processes)
    return found if reference.sha256 is None else {**found, "sha256": reference.sha256}


def _measure(kernel: str, params: dict[str, Any], plan: JobPlan, jobs: int, processes: int) -> dict[str, Any]:
    assert plan.task_size is not None
    chunks = split(plan.units, plan.task_size)
    tasks = [(job, kernel, params, a, b) for job in range(jobs) for a, b in chunks]
    shares = [tasks[i::processes] for i in range(processes)]
    answers = [Tally() for _ in range(jobs)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_ready, range(processes))  # every process up before the clock starts
        start, parent_start = time.perf_counter(), time.process_time()
        for partial in pool.imap_unordered(_run_share, shares):
            for job, tally in partial.items():
                answers[job] = answers[job].merge(tally)
        wall, parent = time.perf_counter() - start, time.process_time() - parent_start
    # The pool's processes, once the Pool has reaped them (their start-up's few ms included).
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    first = answers[0]
    return {
        "jobs": jobs,
        "processes": processes,
        "chunks_per_job": len(chunks),
        "task_size": plan.task_size,
        "wall_seconds": wall,
        # CPU seconds of the Pool's processes (the tasks), and of the parent that feeds them and merges.
        "workers_cpu_seconds": children.ru_utime + children.ru_stime,
        "parent_cpu_seconds": parent,
        "jobs_per_second": jobs / wall,
        "all_equal": all(a == first for a in answers),
        "count": first.count,
        "histogram": first.histogram,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.ceiling", description=__doc__)
    add_arguments(parser)
    parser.add_argument("jobs", type=int)
    parser.add_argument("processes", type=int)
    parser.add_argument("--task-size", type=int, help="units per pool task (default: the automatic plan's)")
    args = parser.parse_args()
    found = measure(args.kernel, args.size, args.jobs, args.processes, args.task_size, args.work, args.seed)
    print(json.dumps(found))


if __name__ == "__main__":
    main()

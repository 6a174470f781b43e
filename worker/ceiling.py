"""`python -m worker.ceiling KERNEL SIZE JOBS PROCESSES [--task-size N] [--executor E] [--work W --seed S]`:
the same jobs on a bare Pool (or, with --executor, on the stdlib's other pools, for comparison).

`make compare` and `make sweep` run this in the worker image under the whole CPU budget (`docker run
--cpus`), so every cell stands beside what this hardware gives the work with nothing of ours in the way
(no queue, no API): a stdlib `multiprocessing.Pool` of PROCESSES, each job cut into the pool tasks a
local job's plan cuts it into (shared.plan: automatic, or tasks of N units with --task-size, as a job
that fixes its `chunk_size` asks). The tasks of every job are dealt out round-robin, one share per
process, before the clock, so no task pays any hand-over: each process runs its share and sends one
reply of per-job partial answers, which the parent merges (worker/shares.py). That is the ceiling at
every task size: a Pool fed task by task spends ~0.2-0.3 ms of its parent's CPU per task, more than the
approaches it would bound at ~1 ms tasks (`make sweep`).
For `bytes` (`make sweep AXIS=data`) the dataset is made from its seed and staged in this container's
shared memory before the clock (worker/reference_data.py): the ceiling moves no byte.
Processes are started before the clock. Prints JSON: wall time, jobs/s, the CPU of the pool's
processes and of its parent, and the answer of every job (all must be equal; the caller checks it
against the exact one; for `bytes`, the SHA-256 of the data, against the upload's).

--executor threads, processes, interpreters or free-threaded runs the very same shares on a
`ThreadPoolExecutor`, a fork `ProcessPoolExecutor`, an `InterpreterPoolExecutor` (CPython 3.14: the
worker-py314 image) or threads with no GIL (CPython 3.14t: the worker-py314t image) of PROCESSES workers
instead (worker/runtimes/), with the same JSON; `gil_enabled` says whether the GIL was on at the end.
"""

import argparse
import json
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from shared.plan import plan_job
from worker.reference_data import add_arguments, reference_job
from worker.runtimes.free_threaded import gil_enabled, gil_off_or_why, run_free_threaded
from worker.runtimes.interpreters import run_interpreters, unsupported
from worker.runtimes.process_pool import run_process_pool
from worker.runtimes.threads import run_threads
from worker.shares import Dealt, Ran, children_cpu, deal, merge_into, report, run_share


def _ready(_: int) -> int:
    return 0


def run_pool(dealt: Dealt, processes: int) -> Ran:
    """The shares on a fresh fork `multiprocessing.Pool(processes)`, started before the clock."""
    answers = dealt.blank()
    before = children_cpu()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_ready, range(processes))  # every process up before the clock starts
        start, parent_start = time.perf_counter(), time.process_time()
        for partial in pool.imap_unordered(run_share, dealt.shares):
            merge_into(answers, partial)
        wall, parent = time.perf_counter() - start, time.process_time() - parent_start
    # The pool's processes, once the Pool has reaped them (their start-up's few ms included).
    return Ran(answers, wall, children_cpu() - before, parent)


RUNNERS: dict[str, Callable[[Dealt, int], Ran]] = {
    "pool": run_pool,
    "threads": run_threads,
    "processes": run_process_pool,
    "interpreters": run_interpreters,
    "free-threaded": run_free_threaded,
}


def measure(
    kernel: str,
    size: int,
    jobs: int,
    processes: int,
    task_size: int | None = None,
    executor: str = "pool",
    work: int = 1,
    seed: int = 0,
) -> dict[str, Any]:
    """Run `jobs` jobs on a fresh fork Pool(processes) (or `executor`); their answers and the wall time.

    Tasks of `task_size` units if given (a local job with that `chunk_size`), else the automatic plan's.
    """
    with reference_job(kernel, size, "local", task_size, work, seed) as reference:
        dealt = deal(kernel, reference.params, plan_job(reference.job), jobs, processes)
        ran = RUNNERS[executor](dealt, processes)
        found = {**report(dealt, processes, ran), "gil_enabled": gil_enabled()}
    return found if reference.sha256 is None else {**found, "sha256": reference.sha256}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.ceiling", description=__doc__)
    add_arguments(parser)
    parser.add_argument("jobs", type=int)
    parser.add_argument("processes", type=int)
    parser.add_argument("--task-size", type=int, help="units per pool task (default: the automatic plan's)")
    parser.add_argument(
        "--executor",
        choices=tuple(RUNNERS),
        default="pool",
        help="what runs the shares: the bare Pool (the ceiling, default), threads, a ProcessPoolExecutor or "
        "subinterpreters (an InterpreterPoolExecutor: CPython 3.14) or threads with no GIL (CPython 3.14t)",
    )
    args = parser.parse_args()
    if args.executor == "interpreters" and unsupported():
        parser.error(unsupported())
    if args.executor == "free-threaded" and gil_off_or_why():
        parser.error(gil_off_or_why())
    found = measure(
        args.kernel, args.size, args.jobs, args.processes, args.task_size, args.executor, args.work, args.seed
    )
    print(json.dumps(found))


if __name__ == "__main__":
    main()

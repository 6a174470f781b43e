"""`python -m worker.ceiling KERNEL SIZE JOBS PROCESSES`: the same jobs on a bare Pool, no queue, no API.

`make compare` runs this in the worker image under the whole CPU budget (`docker run --cpus`), so every
cell of the comparison stands beside what this hardware gives the work with nothing of ours in the way:
a stdlib `multiprocessing.Pool` of PROCESSES, each job cut into the pool tasks a local job's plan cuts
it into (shared.plan), every task of every job queued at once, partial answers merged by the parent.
Processes are started before the clock. Prints JSON: wall time, jobs/s, and the answer of every job
(all must be equal; the caller checks it against the exact one).
"""

import argparse
import json
import multiprocessing
import time
from typing import Any

from shared.chunking import split
from shared.jobs import job_params, parse_job
from shared.kernels import run_kernel
from shared.plan import plan_job
from shared.tally import Tally


def _run(task: tuple[int, str, dict[str, Any], int, int]) -> tuple[int, Tally]:
    job, kernel, params, lo, hi = task
    return job, run_kernel(kernel, params, lo, hi)


def _ready(_: int) -> int:
    return 0


def measure(kernel: str, size: int, jobs: int, processes: int) -> dict[str, Any]:
    """Run `jobs` jobs on a fresh fork Pool(processes); their answers and the wall time of the whole run."""
    params = job_params(kernel, size)
    plan = plan_job(parse_job({"kernel": kernel, "params": params, "mode": "local"}))
    assert plan.task_size is not None
    chunks = split(plan.units, plan.task_size)
    tasks = [(job, kernel, params, a, b) for job in range(jobs) for a, b in chunks]
    answers = [Tally() for _ in range(jobs)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_ready, range(processes))  # every process up before the clock starts
        start = time.perf_counter()
        for job, tally in pool.imap_unordered(_run, tasks):
            answers[job] = answers[job].merge(tally)
        wall = time.perf_counter() - start
    first = answers[0]
    return {
        "jobs": jobs,
        "processes": processes,
        "chunks_per_job": len(chunks),
        "wall_seconds": wall,
        "jobs_per_second": jobs / wall,
        "all_equal": all(a == first for a in answers),
        "count": first.count,
        "histogram": first.histogram,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m worker.ceiling", description=__doc__)
    parser.add_argument("kernel", choices=("primes", "pi"))
    parser.add_argument("size", type=int)
    parser.add_argument("jobs", type=int)
    parser.add_argument("processes", type=int)
    args = parser.parse_args()
    print(json.dumps(measure(args.kernel, args.size, args.jobs, args.processes)))


if __name__ == "__main__":
    main()

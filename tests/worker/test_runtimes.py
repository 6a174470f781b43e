"""The ceiling's shares run by the stdlib's other executors (worker/runtimes/): the same tasks, dealt the
same way, every job's answer the exact one (a sieve's, tests/reference.py). Subinterpreters need CPython
3.14: on an older Python (the host's, the 3.13 worker image's) `--executor interpreters` says so and
stops; on 3.14 (tests/e2e/test_interpreters.py runs these in the worker-py314 image) it runs exact."""

import subprocess
import sys

import pytest

from shared.plan import plan_job
from tests.reference import sieve_tally
from tests.worker.ceiling_cli import ROOT, ceiling
from worker.reference_data import reference_job
from worker.runtimes.interpreters import unsupported
from worker.runtimes.threads import run_threads
from worker.shares import deal

EXACT = sieve_tally(0, 30_000)


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_every_job_gets_the_exact_answer_from_tasks_dealt_as_the_ceiling_deals_them(executor: str) -> None:
    result = ceiling("primes", 30_000, 2, 2, "--task-size", 700, "--executor", executor)
    pool = ceiling("primes", 30_000, 2, 2, "--task-size", 700)
    assert result["all_equal"] and (result["count"], result["histogram"]) == (EXACT.count, EXACT.histogram)
    # The same plan as the ceiling's: the same tasks per job, of the same size.
    keys = ("jobs", "processes", "task_size", "chunks_per_job")
    assert [result[k] for k in keys] == [pool[k] for k in keys] == [2, 2, 700, 43]  # ceil(30,000 / 700)
    assert result["jobs_per_second"] == 2 / result["wall_seconds"]
    # The tasks are the work; dealing them out and merging the answers is a small part beside it.
    assert 0 <= result["parent_cpu_seconds"] < result["workers_cpu_seconds"], result


def test_threads_hold_the_gil_in_turn_their_cpu_adds_up_to_at_most_the_wall_time() -> None:
    """Two threads on pure-Python kernels: at most one runs at a time, whatever the cores (with a GIL)."""
    with reference_job("primes", 200_000, chunk_size=5_000) as reference:
        dealt = deal("primes", reference.params, plan_job(reference.job), 2, 2)
    ran = run_threads(dealt, 2)
    assert all(a == sieve_tally(0, 200_000) for a in ran.answers)
    # Each thread's own CPU time, added up: no more than one core for the wall time, give or take the
    # clocks' resolution; two processes on two free cores would reach twice that.
    assert 0 < ran.workers_cpu_seconds <= 1.05 * ran.wall_seconds + 0.005, ran


def test_subinterpreters_give_the_pools_exact_answers_or_say_they_need_cpython_3_14() -> None:
    args = ("primes", 30_000, 2, 2, "--task-size", 700)
    if unsupported():
        command = [sys.executable, "-m", "worker.ceiling", *map(str, args), "--executor", "interpreters"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2 and done.stdout == "", done
        assert "--executor interpreters needs CPython 3.14 or later" in done.stderr, done.stderr
        assert f"this is cpython {sys.version_info[0]}.{sys.version_info[1]}." in done.stderr, done.stderr
        return
    result = ceiling(*args, "--executor", "interpreters")
    pool = ceiling(*args)
    assert result["all_equal"] and (result["count"], result["histogram"]) == (EXACT.count, EXACT.histogram)
    assert (result["count"], result["histogram"]) == (pool["count"], pool["histogram"])
    keys = ("jobs", "processes", "task_size", "chunks_per_job")
    assert [result[k] for k in keys] == [pool[k] for k in keys] == [2, 2, 700, 43]
    # Their threads' own CPU, measured in each task, is the work; the parent's share is what is left.
    assert 0 <= result["parent_cpu_seconds"] < result["workers_cpu_seconds"], result


@pytest.mark.parametrize(
    ("version", "implementation", "runs"),
    [((3, 14, 0), "cpython", True), ((3, 15, 1), "cpython", True), ((3, 13, 5), "cpython", False)]
    + [((3, 14, 0), "pypy", False)],
)
def test_only_cpython_3_14_and_later_runs_subinterpreters(
    version: tuple[int, int, int], implementation: str, runs: bool
) -> None:
    reason = unsupported(version, implementation)
    assert (reason == "") == runs
    if not runs:
        assert f"this is {implementation} {'.'.join(map(str, version))}" in reason
        assert "InterpreterPoolExecutor" in reason and "worker-py314" in reason

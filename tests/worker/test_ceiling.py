"""The bare-Pool ceiling cuts its jobs as a local job's plan does: automatic tasks, or tasks of the
size asked for (make sweep's task sizes), and every job's answer is the exact one."""

from shared.jobs import parse_job
from shared.kernels import run_kernel
from shared.plan import plan_job
from tests.worker.ceiling_cli import ceiling


def test_tasks_of_the_size_asked_for_give_the_exact_answer() -> None:
    result = ceiling("primes", 20_000, 3, 2, "--task-size", 700)
    exact = run_kernel("primes", {"start": 0, "stop": 20_000}, 0, 20_000)
    assert result["task_size"] == 700 and result["chunks_per_job"] == 29  # ceil(20,000 / 700)
    assert result["all_equal"] and (result["count"], result["histogram"]) == (exact.count, exact.histogram)
    assert result["jobs"] == 3 and result["jobs_per_second"] == 3 / result["wall_seconds"]
    # The CPU of the pool's processes (the tasks) and of the parent feeding them, apart.
    assert result["workers_cpu_seconds"] > 0 and result["parent_cpu_seconds"] > 0, result


def test_without_a_task_size_the_automatic_plan_cuts_it() -> None:
    auto = plan_job(parse_job({"kernel": "primes", "params": {"start": 0, "stop": 20_000}}))
    result = ceiling("primes", 20_000, 1, 1)
    assert result["task_size"] == auto.task_size != 700
    assert result["chunks_per_job"] == -(-20_000 // auto.task_size)

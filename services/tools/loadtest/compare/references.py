"""What every cell of a round is measured against: the ceiling (a bare Pool of the whole budget) and one
process, both in the worker image under a CPU limit, with no queue and no API."""

from typing import Any

import docker

from services.tools.loadtest.compare.rows import Baseline, CeilingRound
from services.tools.loadtest.stack_info import run_in_image, worker_image
from services.tools.loadtest.workload import Workload
from shared.tally import Tally


def dealt_run(
    client: docker.DockerClient, image: str, workload: Workload, budget: int, executor: str = "pool"
) -> dict[str, Any]:
    """`python -m worker.ceiling` in `image` under `budget` CPUs: the workload's jobs dealt out to
    `budget` workers of `executor` (the bare Pool: the ceiling), its JSON.

    It cuts its jobs as a local job of the workload is planned: into tasks of the workload's
    `chunk_size` if it fixes one (make sweep), else automatically. A `bytes` workload's run makes its
    dataset from its seed, staged before the clock.
    """
    command = ["python", "-m", "worker.ceiling", *workload.reference_args(), str(workload.jobs)]
    tasks = ["--task-size", str(workload.chunk_size)] if workload.chunk_size else []
    chosen = ["--executor", executor] if executor != "pool" else []
    return run_in_image(client, image, budget, [*command, str(budget), *tasks, *chosen])


def as_round(run: dict[str, Any], workload: Workload, baseline: Baseline, budget: int) -> CeilingRound:
    """A dealt run's JSON as a typed round: its answers checked exact, its efficiency against one process.

    A `bytes` run's data must be the bytes the stack's jobs read (the same seed), or it is not exact.
    """
    figures = dict(run)
    all_equal = figures.pop("all_equal")
    same_data = figures.pop("sha256", None) == workload.data_sha256()
    return CeilingRound(
        **figures,
        exact=all_equal
        and same_data
        and Tally(figures["count"], figures["histogram"]) == workload.expected(),
        efficiency=figures["jobs_per_second"] * baseline.seconds_per_job / budget,
    )


def measure_references(
    client: docker.DockerClient, project: str, workload: Workload, budget: int
) -> tuple[CeilingRound, Baseline]:
    """This round's ceiling (bare Pool of the budget) and baseline (one process), in the workers' image."""
    image = worker_image(client, project)
    pool = dealt_run(client, image, workload, budget)
    # One run of a `bytes` job is enough (its reads are the same every time; a heavy one takes seconds).
    repeat = ["--repeat", "1"] if workload.kernel == "bytes" else []
    one = run_in_image(
        client, image, 1, ["python", "-m", "worker.baseline", *workload.reference_args(), *repeat]
    )
    baseline = Baseline(
        where="worker image, 1 CPU",
        seconds_per_job=one["seconds_per_job"],
        units_per_second=workload.size / one["seconds_per_job"],
    )
    return as_round(pool, workload, baseline, budget), baseline

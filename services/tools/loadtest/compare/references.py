"""What every cell of a round is measured against: the ceiling (a bare Pool of the whole budget) and one
process, both in the worker image under a CPU limit, with no queue and no API."""

import docker

from services.tools.loadtest.compare.rows import Baseline, CeilingRound
from services.tools.loadtest.stack_info import run_in_image, worker_image
from services.tools.loadtest.workload import Workload
from shared.tally import Tally


def measure_references(
    client: docker.DockerClient, project: str, workload: Workload, budget: int
) -> tuple[CeilingRound, Baseline]:
    """This round's ceiling (bare Pool of the budget) and baseline (one process), in the workers' image.

    The ceiling cuts its jobs as a local job of the workload is planned: into tasks of the workload's
    `chunk_size` if it fixes one (make sweep), else automatically.
    """
    image = worker_image(client, project)
    command = ["python", "-m", "worker.ceiling", workload.kernel, str(workload.size), str(workload.jobs)]
    tasks = ["--task-size", str(workload.chunk_size)] if workload.chunk_size else []
    pool = run_in_image(client, image, budget, [*command, str(budget), *tasks])
    one = run_in_image(
        client, image, 1, ["python", "-m", "worker.baseline", workload.kernel, str(workload.size)]
    )
    baseline = Baseline(
        where="worker image, 1 CPU",
        seconds_per_job=one["seconds_per_job"],
        units_per_second=workload.size / one["seconds_per_job"],
    )
    all_equal = pool.pop("all_equal")
    ceiling = CeilingRound(
        **pool,
        exact=all_equal and Tally(pool["count"], pool["histogram"]) == workload.expected(),
        efficiency=pool["jobs_per_second"] * baseline.seconds_per_job / budget,
    )
    return ceiling, baseline

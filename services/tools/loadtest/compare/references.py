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

    A `bytes` workload's references make its dataset from its seed, staged before their clocks.
    The ceiling cuts its jobs as a local job of the workload is planned: into tasks of the workload's
    `chunk_size` if it fixes one (make sweep), else automatically.
    """
    image = worker_image(client, project)
    job = workload.reference_args()
    command = ["python", "-m", "worker.ceiling", *job, str(workload.jobs)]
    tasks = ["--task-size", str(workload.chunk_size)] if workload.chunk_size else []
    pool = run_in_image(client, image, budget, [*command, str(budget), *tasks])
    # One run of a `bytes` job is enough (its reads are the same every time; a heavy one takes seconds).
    repeat = ["--repeat", "1"] if workload.kernel == "bytes" else []
    one = run_in_image(client, image, 1, ["python", "-m", "worker.baseline", *job, *repeat])
    baseline = Baseline(
        where="worker image, 1 CPU",
        seconds_per_job=one["seconds_per_job"],
        units_per_second=workload.size / one["seconds_per_job"],
    )
    all_equal = pool.pop("all_equal")
    # A `bytes` ceiling's data: the bytes the stack's jobs read (the same seed), or it is not exact.
    same_data = pool.pop("sha256", None) == workload.data_sha256()
    ceiling = CeilingRound(
        **pool,
        exact=all_equal and same_data and Tally(pool["count"], pool["histogram"]) == workload.expected(),
        efficiency=pool["jobs_per_second"] * baseline.seconds_per_job / budget,
    )
    return ceiling, baseline

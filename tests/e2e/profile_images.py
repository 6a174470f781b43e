"""Images of compose's profiles for one Python each (worker-py314, worker-py314t), as the tools build them:
under a tag of this test run's, removed after; a command run in one, as the hardened worker runs; and one
of worker.ceiling's executors checked against the bare Pool in the same image."""

import contextlib
import os
import subprocess
from collections.abc import Iterator

import docker

from services.tools.loadtest.stack_info import run_in_image
from tests.e2e.conftest import compose
from tests.reference import sieve_tally


@contextlib.contextmanager
def built(service: str, profile: str, variable: str, tag: str) -> Iterator[str]:
    """`service` of `profile` built as make compare builds it, its image named `tag` through `variable`."""
    name = f"cpu-contrast-e2e-{tag}-{os.getpid()}"
    env = {**os.environ, variable: name}
    try:
        compose(name, "--profile", profile, "build", service, env=env)
        yield name
    finally:
        subprocess.run(["docker", "image", "rm", name], capture_output=True)


def in_image(image: str, *command: str, env: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`command` in a container of `image`: no network, the worker's user, `env`'s NAME=value set."""
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "10001:10001"]
        + [arg for e in env for arg in ("-e", e)]
        + [image, *command],
        capture_output=True,
        text=True,
        timeout=300,
    )


# The workload both rows run: 2 jobs of primes below 30 000 on 2 CPUs, tasks of 700 numbers (43 a job).
BUDGET = 2
ARGS = ["primes", "30000", "2", str(BUDGET), "--task-size", "700"]


def executor_against_the_pool(client: docker.DockerClient, image: str, executor: str) -> dict:
    """worker.ceiling on `executor` and on the bare Pool, in `image` under the same quota: both exact and
    equal, the same jobs cut the same way, CPU spent. The executor's report, for what else it says."""
    command = ["python", "-m", "worker.ceiling", *ARGS]
    ran = run_in_image(client, image, BUDGET, [*command, "--executor", executor])
    pool = run_in_image(client, image, BUDGET, command)
    exact = sieve_tally(0, 30_000)
    assert ran["all_equal"] and (ran["count"], ran["histogram"]) == (exact.count, exact.histogram), ran
    assert (pool["count"], pool["histogram"]) == (ran["count"], ran["histogram"])
    keys = ("jobs", "processes", "task_size", "chunks_per_job")
    assert [ran[k] for k in keys] == [pool[k] for k in keys] == [2, BUDGET, 700, 43]
    assert ran["workers_cpu_seconds"] > 0, ran
    return ran

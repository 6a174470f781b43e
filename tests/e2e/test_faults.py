"""Chaos on the real stack: each fault of `make chaos` under a load of 200 jobs; no accepted job is lost.

Its own compose project (the session's stack is left alone): 2 workers of 1 CPU, 200 small jobs, local
and distributed mixed, all submitted at once; then one fault (kill a pool process, restart Redis, stop or
kill a worker container) per test, on the same stack, which is restored in between. Printed:
accepted / finished / failed / lost / wrong answers (a chunk lost or merged twice), and recovery time.
"""

import os
from collections.abc import Iterator

import docker
import pytest
from docker.models.containers import Container

from services.tools.loadtest.chaos import run_chaos
from services.tools.loadtest.faults import FAULTS, Fault
from tests.e2e.conftest import Stack, running_stack
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.e2e

JOBS = 200
STOP = 100_000
ATTEMPTS = 3


@pytest.fixture(scope="module")
def fault_stack(docker_client: docker.DockerClient) -> Iterator[Stack]:
    env = {**os.environ, "API_PORT": str(free_port()), "WORKER_REPLICAS": "2", "WORKER_CPUS": "1"}
    with running_stack(docker_client, f"cpu-contrast-faults-{os.getpid()}", env) as started:
        yield started


@pytest.mark.parametrize("fault", ["kill-pool-process", "restart-redis", "stop-worker", "kill-worker"])
def test_no_accepted_job_is_lost_under_the_fault(
    fault_stack: Stack, fault: str, capsys: pytest.CaptureFixture
) -> None:
    # A fault aimed at one worker can land between two of its jobs (its last one ended, the next not yet
    # taken): nothing of it is in flight, so nothing is tested. Such a miss (seen once in about ten CI
    # runs) is the apparatus's, not a loss: the scenario runs again, up to ATTEMPTS times; every attempt
    # must lose nothing, and one must hit work.
    for _ in range(ATTEMPTS):
        report = run_chaos(
            str(fault_stack.api.base_url), fault_stack.project, FAULTS[fault], jobs=JOBS, stop=STOP
        )
        with capsys.disabled():
            print("\n" + report.line())
        assert report.accepted == JOBS
        assert report.lost == 0 and report.failed == 0 and report.wrong == 0, report.examples
        # The stack is whole again: both workers report.
        wait_for(lambda: len(fault_stack.api.get("/workers").json()) == 2 or None, 60, "both workers back")
        if fault == "restart-redis" or report.jobs_hit:
            break
    else:
        pytest.fail(f"the victim had no job in flight in {ATTEMPTS} attempts: nothing was tested")


def test_chaos_restores_its_fault_when_interrupted(fault_stack: Stack) -> None:
    """`make chaos` interrupted (Ctrl-C) with its fault in place still puts the stack back: the restore
    is in a `finally` (faults.injected). The fault here is a real one: a worker container stopped."""
    stopped: list[str] = []

    def stop_then_interrupt(victim: Container, redis: Container) -> None:
        victim.stop(timeout=60)  # as `docker compose stop`: Docker leaves it stopped
        victim.reload()
        stopped.append(victim.status)
        raise KeyboardInterrupt  # as Ctrl-C while chaos waits for the jobs

    fault = Fault(
        "stop-then-ctrl-c", "stop a worker, then Ctrl-C", stop_then_interrupt, FAULTS["stop-worker"].restore
    )
    with pytest.raises(KeyboardInterrupt):
        run_chaos(str(fault_stack.api.base_url), fault_stack.project, fault, jobs=20, stop=STOP)
    assert stopped == ["exited"]
    workers = fault_stack.containers("worker")
    for container in workers:
        container.reload()
    assert [c.status for c in workers] == ["running", "running"]
    wait_for(lambda: len(fault_stack.api.get("/workers").json()) == 2 or None, 60, "both workers back")

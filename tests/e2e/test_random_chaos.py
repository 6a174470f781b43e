"""`make chaos SCHEDULE=random` on a real stack: a seeded 2-minute schedule, then the checker; no loss.

Its own compose project (2 workers of 1 CPU; Redis's maxmemory 128mb, so that filling it is quick): a
recorded load of unique small jobs while every kind of fault of the schedule fires, overlapping, each
healed; then the drain and the checker (services/tools/history/checker.py). Fails on any lost, stuck,
duplicated effect or unexpected job, on a fault that could not be injected or healed, or a stack that
is not whole again afterwards. Two minutes, not ten: CI's time; `make chaos SCHEDULE=random` runs 600 s.
"""

import os
from pathlib import Path

import docker
import pytest

from services.tools.loadtest.random_chaos import run_random
from services.tools.loadtest.schedule import random_schedule
from tests.e2e.conftest import running_stack
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.e2e

SEED = 1
DURATION = 120


def test_a_seeded_random_schedule_loses_no_accepted_job(
    docker_client: docker.DockerClient, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "WORKER_REPLICAS": "2",
        "WORKER_CPUS": "1",
        "REDIS_MAXMEMORY": "128mb",
        "REDIS_PASSWORD": "",
    }
    with running_stack(docker_client, f"cpu-contrast-random-chaos-{os.getpid()}", env) as stack:
        outcome = run_random(str(stack.api.base_url), stack.project, SEED, DURATION, tmp_path)
        with capsys.disabled():
            print("\n" + "\n".join(outcome.lines()))
        planned = {fault.kind for fault in random_schedule(SEED, DURATION, workers=2)}
        assert len(planned) == 9, "the seed's schedule no longer deals every kind of fault"
        assert set(outcome.fired) == planned and not outcome.failed and not outcome.unhealed
        report = outcome.report
        assert report.submitted.get("ok", 0) > 100 and report.executions > 0
        assert (report.lost, report.stuck, report.duplicated_effects, report.unexpected) == (0, 0, 0, 0), (
            report.examples
        )
        assert outcome.drained and outcome.ok
        assert outcome.history is not None and outcome.history.exists()
        # The stack is whole again: both workers report.
        wait_for(lambda: len(stack.api.get("/workers").json()) == 2 or None, 60, "both workers back")

"""`make compare PEERS=...`: each queue peer in containers of its own image, on the fat and thin
topologies' containers and quota, 6 jobs each with the exact answer, its processes sized from the quota,
its containers' CPU and throttling read from their cgroups over the timed run, then removed; with TASK=,
its chunks cut as the ceiling's tasks are."""

import json
import os
from pathlib import Path

import pytest

from services.tools.loadtest.task_size import chunk_for
from services.tools.stack import containers
from tests.e2e.conftest import compose
from tests.e2e.test_load_and_compare import make
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

JOBS = 6
# Celery's run cuts its jobs at make compare TASK='s size (tasks of ~50 ms), the others at the planner's.
TASK = {"celery": 0.05}

# peer -> (its worker service, its label in the table, its processes on fat and on thin, its note's words)
PEERS = {
    "celery": (
        "celery-worker",
        "Celery prefork",
        ("prefork -c 2", "prefork -c 1"),
        "acks_late, prefetch multiplier 1",
    ),
    "dramatiq": (
        "dramatiq-worker",
        "Dramatiq",
        ("2 processes x 1 thread", "1 process x 1 thread"),
        "1 thread each",
    ),
    "dask": (
        "dask-worker",
        "Dask distributed",
        ("2 processes x 1 thread", "1 process x 1 thread"),
        "nthreads 1",
    ),
}


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_make_compare_runs_a_queue_peer_exact_on_each_topology(
    docker_client, tmp_path: Path, peer: str
) -> None:
    service, label, processes, configured = PEERS[peer]
    project = f"cpu-contrast-peer-{peer}-{os.getpid()}"
    env = {"API_PORT": str(free_port()), "COMPOSE_PROJECT_NAME": project}
    try:
        result = make(
            "compare",
            env,
            # Seconds of work per container, not tenths: an idle Dramatiq consumer polls with a back-off
            # of up to its worker_timeout (1 s), so in a run shorter than that one container can take
            # every message (seen: 8 chunks in 0.35 s, all in one of the two).
            f"COMPARE_JOBS={JOBS}",
            "SIZE=1000000",
            "CONCURRENCY=2",
            "MODES=local",
            "BUDGET=2",
            "ROUNDS=1",
            "RUNTIMES=",
            f"PEERS={peer}",
            f"REPORTS={tmp_path}",
            *([f"TASK={TASK[peer]}"] if peer in TASK else []),
        )
        assert result.returncode == 0
        # Each run's workers are removed after it: none left to cost the other cells anything.
        assert containers(docker_client, project, service, running=False) == []
    finally:
        compose(
            project,
            *("--profile", peer, "down", "-v", "--remove-orphans", "--timeout", "10"),
            env={**os.environ, **env},
        )
    (compare_file,) = tmp_path.glob("comparison-*.json")
    comparison = json.loads(compare_file.read_text())
    (ceiling,) = comparison["ceiling"]["every_round"]
    rows = comparison["peers"]
    assert [(r["key"], r["topology"], r["layout"]) for r in rows] == [
        (f"{peer} fat", "fat", f"1 x 2 CPU, {processes[0]}"),
        (f"{peer} thin", "thin", f"2 x 1 CPU, {processes[1]}"),
    ]
    if peer in TASK:
        # Every row cut alike: the ceiling's tasks and the peer's chunks, TASK's size (its own unit test:
        # tests/tools/test_compare_small_tasks.py), and the report says which.
        chunk = chunk_for("primes", 1_000_000, TASK[peer])
        assert comparison["workload"] == {**comparison["workload"], "chunk_size": chunk, "task_seconds": 0.05}
        assert ceiling["chunks_per_job"] == -(-1_000_000 // chunk)
        assert {r["rounds"][0]["chunks_per_job"] for r in rows} == {ceiling["chunks_per_job"]}
    for row, (containers_count, each) in zip(rows, [(1, 2), (2, 1)], strict=True):
        assert row["exact"] == row["jobs"] == JOBS, row
        assert "from the quota" in row["note"], row
        # Celery's and Dramatiq's own defaults would be the host's CPU count (Dask's reads the quota).
        assert (f"host's {os.cpu_count()} CPUs" in row["note"]) == (peer != "dask"), row
        (run,) = row["rounds"]
        assert run["exact"] and run["jobs"] == JOBS and run["chunks_per_job"] >= 1, run
        # Sized from each container's quota: as many consuming processes as CPUs, in every container.
        assert list(run["processes"].values()) == [each] * containers_count, run["processes"]
        # Every worker container's CPU over the timed run, from its cgroup: it ran chunks.
        cpu = run["workers_cpu_seconds"]
        assert set(cpu) == set(run["processes"]) and all(s > 0 for s in cpu.values()), cpu
        assert run["cores"] == pytest.approx(sum(cpu.values()) / run["wall_seconds"])
        # Under a quota the kernel counts CFS periods for them.
        assert run["throttling"]["periods"] > 0, run["throttling"]
        assert run["of_ceiling"] == pytest.approx(run["jobs_per_second"] / ceiling["jobs_per_second"])
    assert configured in rows[0]["note"], rows[0]["note"]
    assert label in result.stdout

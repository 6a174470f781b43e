"""WORKER_CONSUMERS=2: `python -m worker` supervises two consumers, each a full RQ worker with its own pool.

This module starts its own redis-server, API and supervisors, so that the only RQ workers on its queue
are the consumers of the supervisor under test. Only pids found under our own supervisors are killed.
"""

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from services.tools.local_stack import api as api_process
from services.tools.local_stack import env, stop
from shared.worker_reports import read_series, report_key
from tests.helpers import BACKSTOP, children, dead, descendants, kill, require, submit, wait_for, wait_for_job
from tests.reference import sieve_tally
from worker.queue.lean import LeanWorker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
QUEUE = "consumers"
HOST = socket.gethostname()
LEAN = f"{LeanWorker.__module__}.{LeanWorker.__qualname__}"
# 16 chunks of ~0.1 s: plenty for both consumers to take some.
SHARED_JOB = {
    "kernel": "primes",
    "params": {"start": 0, "stop": 4_000_000},
    "mode": "distributed",
    "chunk_size": 250_000,
}


@dataclass
class Supervisor:
    proc: subprocess.Popen
    workers: list[Worker]  # its consumers' RQ workers, by pid

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]


@pytest.fixture(scope="module")
def api(url: str) -> Iterator[httpx.Client]:
    with api_process(url, QUEUE, quiet=False) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def answer() -> dict:
    tally = sieve_tally(0, 4_000_000)
    return {"count": tally.count, "histogram": tally.histogram}


@pytest.fixture
def queue(rclient: redis.Redis) -> Queue:
    return Queue(QUEUE, connection=rclient, serializer=JSONSerializer)


@pytest.fixture
def start_supervisor(url: str, rclient: redis.Redis) -> Iterator[Callable[..., Supervisor]]:
    """Start `python -m worker` with WORKER_CONSUMERS=2; every process under it is gone after the test."""
    started: list[tuple[subprocess.Popen, list[int]]] = []

    def start(ignore_sigint: bool = False) -> Supervisor:
        command = [sys.executable, "-m", "worker"]
        if ignore_sigint:
            # As a background shell starts it: SIGINT ignored (exec keeps that, and the pid).
            command = ["sh", "-c", 'trap "" INT; exec "$0" "$@"', *command]
        proc = subprocess.Popen(command, env=env(url, QUEUE, pool=1, WORKER_CONSUMERS="2"), cwd=REPO)
        started.append((proc, []))

        def listening() -> list[Worker] | None:
            # Idle, not just registered: RQ writes `idle` in its loop, after it installs its signal
            # handlers. A consumer signalled between its registration and that install dies of the
            # signal's default action, its registration left behind for RQ's clean-up.
            consumers = set(children(proc.pid))
            listed = Worker.all(connection=rclient)
            workers = [w for w in listed if w.pid in consumers and w.get_state() == "idle"]
            return sorted(workers, key=lambda w: w.pid) if len(consumers) == len(workers) == 2 else None

        workers = wait_for(listening, 30, "two consumers listening on RQ's queue")
        started[-1] = (proc, descendants(proc.pid))
        return Supervisor(proc, workers)

    yield start
    stop([proc for proc, _ in started], grace=20)
    for proc, pids in started:
        for pid in pids + descendants(proc.pid):
            kill(pid)  # consumers or pool processes left by a test that killed one


def busy_workers(queue: Queue) -> dict[str, str]:
    """RQ job id -> the name of the worker running it, from the StartedJobRegistry."""
    registry = queue.started_job_registry
    return {
        job_id: Execution.fetch(execution_id, job_id, queue.connection).worker_name
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False)
    }


def host_entry(api: httpx.Client) -> dict:
    (entry,) = [r for r in api.get("/workers").raise_for_status().json() if r["host"] == HOST]
    return entry


def test_two_consumers_register_and_run_jobs_at_the_same_time(
    start_supervisor: Callable[[], Supervisor], queue: Queue
) -> None:
    sup = start_supervisor()
    assert len({w.name for w in sup.workers}) == 2
    assert all(pid != sup.proc.pid for pid in sup.pids)
    # Each job waits for the other to be running: they finish only if two consumers run them at once.
    key = f"rendezvous:{uuid.uuid4().hex}"
    jobs = [
        queue.enqueue("tests.worker.consumer_jobs.rendezvous", key, 2, 30, result_ttl=600) for _ in range(2)
    ]
    ended = (JobStatus.FINISHED, JobStatus.FAILED)
    wait_for(lambda: all(j.get_status() in ended for j in jobs) or None, 60, "both jobs ended")
    assert [j.get_status() for j in jobs] == [JobStatus.FINISHED] * 2
    assert sorted(j.return_value() for j in jobs) == sup.pids


def test_a_distributed_job_is_shared_and_the_container_reports_once(
    api: httpx.Client,
    rclient: redis.Redis,
    start_supervisor: Callable[[], Supervisor],
    answer: dict,
) -> None:
    sup = start_supervisor()
    view = wait_for_job(api, submit(api, SHARED_JOB))
    assert view["status"] == "finished", view
    assert view["result"] == answer
    assert view["hosts"] == {HOST: 16}
    # Both consumers computed chunks of the one job.
    assert sorted(view["pids"]) == sorted(f"{HOST}:{pid}" for pid in sup.pids)
    done = {w.name: Worker.find_by_key(w.key, connection=rclient).successful_job_count for w in sup.workers}
    assert all(n > 0 for n in done.values()) and sum(done.values()) == 16

    def reported(chunks: int, jobs: int) -> dict | None:
        entry = host_entry(api)
        # An earlier test's consumers may still show until their reports expire (LIVENESS_TTL).
        counts = (entry["chunks_done"], entry["jobs_done"], entry["consumers"])
        return entry if counts == (chunks, jobs, 2) else None

    # One entry for the container: both consumers, their pools and their counts summed.
    entry = wait_for(lambda: reported(16, 0), BACKSTOP, "the container's report")
    assert entry["pool_processes"] == 2
    assert entry["worker_class"] == LEAN
    # Each consumer's own report counts what RQ says it ran.
    for name, count in done.items():
        assert json.loads(rclient.get(report_key(name)))["chunks_done"] == count
    local = wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 100_000}}))
    assert local["status"] == "finished" and local["result"]["count"] == 9_592
    wait_for(lambda: reported(16 + local["progress"]["chunks_total"], 1), BACKSTOP, "the local job reported")
    assert api.get("/dashboard").json()["pool_processes"] == 2


def test_one_cpu_series_per_container(
    api: httpx.Client, rclient: redis.Redis, start_supervisor: Callable[[], Supervisor]
) -> None:
    start_supervisor()
    report = wait_for(lambda: host_entry(api), BACKSTOP, "a report")
    require(report["cpu_percent"] is not None, "cgroup CPU accounting (a report's cpu_percent)")

    def four_points() -> list[tuple[float, float]] | None:
        points = read_series(rclient).get(HOST, [])
        return points if len(points) >= 4 else None

    points = wait_for(four_points, BACKSTOP, "four CPU points")
    # One writer beats once a HEARTBEAT_INTERVAL (1 s); two would interleave points milliseconds apart.
    times = [t for t, _ in points]
    assert all(later - earlier >= 0.5 for earlier, later in zip(times, times[1:], strict=False)), times


def test_sigterm_lets_both_busy_consumers_finish_their_chunks_then_exits_0(
    api: httpx.Client,
    queue: Queue,
    start_supervisor: Callable[[], Supervisor],
    answer: dict,
) -> None:
    sup = start_supervisor()
    processes = descendants(sup.proc.pid)
    job_id = submit(api, {**SHARED_JOB, "chunk_size": 1_000_000})
    names = {w.name for w in sup.workers}
    busy = wait_for(
        lambda: (b := busy_workers(queue)) and set(b.values()) == names and b or None,
        30,
        "both consumers busy",
        interval=0.01,
    )
    sup.proc.send_signal(signal.SIGTERM)  # as `docker compose stop`, through tini
    assert sup.proc.wait(timeout=60) == 0
    # Warm shutdown: the chunks they were running finished; nothing is left started or abandoned.
    jobs = Job.fetch_many(list(busy), connection=queue.connection, serializer=JSONSerializer)
    assert [j.get_status() for j in jobs] == [JobStatus.FINISHED] * 2
    assert busy_workers(queue) == {}
    assert not names & {w.name for w in Worker.all(queue=queue)}
    wait_for(lambda: all(map(dead, processes)) or None, BACKSTOP, "consumers and their pools gone")
    # The rest of the job waited in the queue: the next consumers finish it, exactly.
    start_supervisor()
    view = wait_for_job(api, job_id)
    assert view["status"] == "finished", view
    assert view["result"] == answer


def test_sigint_stops_idle_consumers_and_exits_0(start_supervisor: Callable[..., Supervisor]) -> None:
    """Even when the supervisor was started with SIGINT ignored: it sets its own handling."""
    sup = start_supervisor(ignore_sigint=True)
    assert psutil.Process(sup.proc.pid).cmdline()[1:3] == ["-m", "worker"]
    processes = descendants(sup.proc.pid)
    sup.proc.send_signal(signal.SIGINT)
    assert sup.proc.wait(timeout=30) == 0
    wait_for(lambda: all(map(dead, processes)) or None, BACKSTOP, "consumers and their pools gone")


def test_a_consumer_that_dies_stops_the_others_and_the_supervisor_fails(
    start_supervisor: Callable[[], Supervisor], queue: Queue
) -> None:
    sup = start_supervisor()
    victim, survivor = sup.workers
    survivor_processes = [survivor.pid, *descendants(survivor.pid)]
    kill(victim.pid)
    # Non-zero: the container's restart policy restarts the container, both consumers afresh.
    assert sup.proc.wait(timeout=30) == 1
    wait_for(lambda: all(map(dead, survivor_processes)) or None, BACKSTOP, "the other consumer gone")
    assert survivor.name not in {w.name for w in Worker.all(queue=queue)}  # it stopped cleanly


def test_the_idle_supervisor_sleeps_in_one_thread(start_supervisor: Callable[[], Supervisor]) -> None:
    """No polling loop: while the consumers wait for jobs, the supervisor is never scheduled."""
    sup = start_supervisor()
    process = psutil.Process(sup.proc.pid)

    def switches() -> tuple[int, int]:
        assert process.num_threads() == 1
        counts = process.num_ctx_switches()
        return counts.voluntary, counts.involuntary

    before = switches()
    time.sleep(1.5)
    assert switches() == before
    assert sup.proc.poll() is None

"""Faults on real parts: SIGKILL a pool process or a whole worker mid-job; no accepted job is lost.

This module starts its own redis-server, API and `python -m worker` processes, so it can kill them
without touching the session's workers. Only pids found as descendants of our own workers are killed.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.serializers import JSONSerializer

from services.tools.local_stack import api as api_process
from services.tools.local_stack import env, redis_server, stop
from shared.job_store import JobKeys
from tests.helpers import (
    BACKSTOP,
    children,
    dead,
    descendants,
    kill,
    require_tool,
    submit,
    wait_for,
    wait_for_job,
)
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6, sieve_tally

pytestmark = pytest.mark.integration

QUEUE = "faults"
# One retry: enough to show a job surviving one fault, and failing with its reason after two.
RETRIES = 1
# A local job of ~2 s on a Pool(2): long enough to be killed mid-run.
LONG_JOB = {"kernel": "primes", "params": {"start": 0, "stop": 4_000_000}}


@pytest.fixture(scope="module")
def long_answer() -> dict:
    tally = sieve_tally(0, 4_000_000)
    return {"count": tally.count, "histogram": tally.histogram}


def pool_processes(worker_pid: int) -> list[int]:
    """A worker's pool processes: children of its forkserver (or its own, with the fork method)."""
    found = []
    for child in children(worker_pid):
        try:
            cmdline = " ".join(psutil.Process(child).cmdline())
        except psutil.Error:
            continue
        if "resource_tracker" in cmdline:
            continue
        found += children(child) if "forkserver" in cmdline else [child]
    return found


def record(client: redis.Redis, job_id: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in client.hgetall(f"cpuc:job:{job_id}").items()}


def running_worker_pid(client: redis.Redis, rq_job_id: str) -> int | None:
    """The pid of the worker process running this RQ job now, from RQ's StartedJobRegistry."""
    registry = Queue(QUEUE, connection=client, serializer=JSONSerializer).started_job_registry
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        if job_id == rq_job_id:
            name = Execution.fetch(execution_id, job_id, client).worker_name
            return int(name.split(".")[-2])  # "<host>.<pid>.<token>"
    return None


@pytest.fixture(scope="module")
def fault_env() -> Iterator[dict[str, str]]:
    require_tool("redis-server")
    with redis_server() as url:
        yield env(url, QUEUE, pool=2, JOB_RETRIES=str(RETRIES))


@pytest.fixture(scope="module")
def rclient(fault_env: dict[str, str]) -> redis.Redis:
    return redis.Redis.from_url(fault_env["REDIS_URL"])


@pytest.fixture(scope="module")
def api(fault_env: dict[str, str]) -> Iterator[httpx.Client]:
    with (
        api_process(fault_env["REDIS_URL"], QUEUE, JOB_RETRIES=str(RETRIES)) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield client


@pytest.fixture
def start_worker(
    fault_env: dict[str, str], rclient: redis.Redis
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `python -m worker` processes for one test; all of them and their pools are gone after it."""
    started: list[tuple[subprocess.Popen, list[int]]] = []

    def start(**overrides: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "worker"], env={**fault_env, **overrides})
        # Ready once its liveness key is written (just before it takes jobs), its pool is up, and RQ's
        # loop says `idle`: written after RQ installs its signal handlers, so a SIGTERM from here on is
        # a warm shutdown, not the signal's default action.
        wait_for(
            lambda: (
                len(pool_processes(proc.pid)) == 2
                and any(k.split(b".")[-2] == str(proc.pid).encode() for k in rclient.keys("cpuc:alive:*"))
                and any(w.pid == proc.pid and w.get_state() == "idle" for w in Worker.all(connection=rclient))
                or None
            ),
            30,
            "worker",
        )
        started.append((proc, descendants(proc.pid)))
        return proc

    yield start
    stop([proc for proc, _ in started], grace=20)
    for proc, pids in started:
        for pid in pids + descendants(proc.pid):
            kill(pid)  # pool processes of a worker we SIGKILLed


def wait_started(api: httpx.Client, job_id: str) -> dict:
    """Until the job is mid-run on a pool (a chunk done): a pool death before the run is healed unseen."""
    return wait_for(
        lambda: (
            (v := api.get(f"/jobs/{job_id}").json())["status"] == "started"
            and v["progress"]["chunks_done"] >= 1
            and v
            or None
        ),
        30,
        "start",
    )


def test_pool_process_killed_mid_job_is_retried_exact_and_the_worker_goes_on(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable, long_answer: dict
) -> None:
    worker = start_worker()
    old_pool = pool_processes(worker.pid)
    job_id = submit(api, LONG_JOB)
    wait_started(api, job_id)
    kill(old_pool[0])
    killed_at = time.monotonic()
    view = wait_for_job(api, job_id, timeout=60)
    recovery = time.monotonic() - killed_at
    print(f"pool process killed mid-job: job ended {view['status']} {recovery:.1f}s after the kill")
    assert view["status"] == "finished", view
    assert view["result"] == long_answer
    assert record(rclient, job_id)["retries"] == "1"  # it was killed mid-run, then re-run once
    assert "PoolBroken" in record(rclient, job_id)["last_error"]
    # The same worker, on a fresh pool, serves the next job.
    assert worker.poll() is None
    new_pool = pool_processes(worker.pid)
    assert len(new_pool) == 2 and not set(new_pool) & set(old_pool)
    view = wait_for_job(api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}}), 30)
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}


def test_idle_pool_process_killed_between_jobs_costs_no_retry(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable
) -> None:
    """A process killed while waiting for work holds the task queue's lock: the pool is replaced first."""
    worker = start_worker()
    killed = pool_processes(worker.pid)[0]
    kill(killed)
    wait_for(lambda: dead(killed) or None, BACKSTOP, "the pool process dead")
    job_id = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})
    view = wait_for_job(api, job_id, 30)
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
    assert "retries" not in record(rclient, job_id)


def test_job_fails_with_its_reason_once_retries_are_used_up(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable
) -> None:
    worker = start_worker()
    job_id = submit(api, LONG_JOB)
    killed: set[int] = set()
    for attempt in range(RETRIES + 1):
        wait_for(
            lambda n=attempt: (
                (run := record(rclient, job_id)).get("retries", "0") == str(n)
                and run["status"] == "started"
                # Mid-run on the pool: a death before the run starts is healed without a retry.
                and int(run["chunks_done"]) >= 1
                or None
            ),
            30,
            f"attempt {attempt + 1}",
        )
        # A process of the pool running this attempt: not one killed before (it may linger as a zombie).
        fresh = wait_for(
            lambda: [p for p in pool_processes(worker.pid) if p not in killed] or None, 10, "pool"
        )
        kill(fresh[0])
        killed.add(fresh[0])
    view = wait_for_job(api, job_id, 30)
    assert view["status"] == "failed", view
    assert view["error"].startswith("PoolBroken: "), view["error"]
    assert worker.poll() is None


def test_job_own_error_fails_at_once_with_its_reason(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable
) -> None:
    """The job's own error is never retried. Here its kernel raises: the record's seed is no number (the
    API accepts no such job, but a worker runs what the record says, validating nothing again)."""
    job_id = submit(api, {"kernel": "pi", "params": {"samples": 1000, "seed": 1}})
    key = JobKeys.of(job_id).record
    spec = json.loads(rclient.hget(key, "spec"))
    spec["params"]["seed"] = "no number"
    rclient.hset(key, "spec", json.dumps(spec))
    start_worker()
    view = wait_for_job(api, job_id, 30)
    assert view["status"] == "failed", view
    assert view["error"].startswith("ValueError: "), view["error"]
    assert "no number" in view["error"]
    assert view["traceback"]
    assert "retries" not in record(rclient, job_id)


@pytest.mark.parametrize(
    "body",
    [LONG_JOB, {**LONG_JOB, "mode": "distributed", "chunk_size": 250_000}],
    ids=["local", "distributed"],
)
def test_worker_killed_mid_job_runs_again_elsewhere(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable, long_answer: dict, body: dict
) -> None:
    start_worker()
    start_worker()
    job_id = submit(api, body)
    rq_id = job_id if body.get("mode") != "distributed" else f"{job_id}-0"
    victim = wait_for(lambda: running_worker_pid(rclient, rq_id), 30, "a worker running the job")
    wait_started(api, job_id)  # mid-run: a chunk done, the rest still to do
    orphans = descendants(victim)
    kill(victim)
    killed_at = time.monotonic()
    for pid in orphans:
        kill(pid)
    view = wait_for_job(api, job_id, timeout=60)
    recovery = time.monotonic() - killed_at
    print(f"worker killed mid-job ({body.get('mode', 'local')}): {view['status']} after {recovery:.1f}s")
    assert view["status"] == "finished", view
    assert view["result"] == long_answer  # exact: no chunk lost, none counted twice


def test_a_dead_workers_job_whose_execution_was_evicted_runs_again(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable, long_answer: dict
) -> None:
    """Issue 24's chaos run (seed 2) left a job `started` for good: its worker was SIGKILLed while Redis,
    at its maxmemory, had evicted the execution's hash (it has a TTL: volatile-lru takes it first), and
    the reaper skipped an execution it could not read. It reads the job's hash instead now."""
    start_worker()
    start_worker()
    job_id = submit(api, LONG_JOB)
    victim = wait_for(lambda: running_worker_pid(rclient, job_id), 30, "a worker running the job")
    wait_started(api, job_id)
    (execution_key,) = rclient.keys(f"rq:execution:{job_id}:*")
    orphans = descendants(victim)
    kill(victim)
    for pid in orphans:
        kill(pid)
    assert rclient.delete(execution_key) == 1  # as an eviction would: the registry entry stays
    view = wait_for_job(api, job_id, timeout=60)
    assert view["status"] == "finished", view
    assert view["result"] == long_answer


def test_sigterm_with_a_broken_pool_exits_promptly(start_worker: Callable) -> None:
    """The worker's shutdown stops its pool in bounded time, even when Pool.terminate() would hang."""
    worker = start_worker()
    killed = pool_processes(worker.pid)[0]
    kill(killed)
    wait_for(lambda: dead(killed) or None, BACKSTOP, "the pool process dead")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0


def test_sigterm_mid_job_finishes_the_job_then_exits(
    api: httpx.Client, start_worker: Callable, long_answer: dict
) -> None:
    worker = start_worker()
    job_id = submit(api, LONG_JOB)
    wait_started(api, job_id)
    # As `docker compose stop` does: a warm shutdown lets the running job finish first.
    worker.send_signal(signal.SIGTERM)
    view = wait_for_job(api, job_id, timeout=60)
    assert view["status"] == "finished", view
    assert view["result"] == long_answer
    assert worker.wait(timeout=30) == 0


def test_job_stuck_between_dequeue_and_start_is_handed_back(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable
) -> None:
    """A worker stopped during RQ's dequeue leaves the job id in RQ's intermediate list, never started."""
    job_id = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 100_000}})
    queue = Queue(QUEUE, connection=rclient, serializer=JSONSerializer)
    # What the stopped worker's dequeue did (no worker runs yet): the id moved out of the queue.
    assert rclient.lmove(queue.key, queue.intermediate_queue_key) == job_id.encode()
    started_at = time.monotonic()
    start_worker()
    view = wait_for_job(api, job_id, timeout=60)
    assert view["status"] == "finished" and view["result"]["count"] == 9_592
    assert rclient.llen(queue.intermediate_queue_key) == 0
    print(
        f"job stuck in the intermediate list ran {time.monotonic() - started_at:.1f}s after a worker started"
    )


HEALTHCHECK = Path(__file__).resolve().parents[3] / "worker" / "queue" / "healthcheck.sh"


def healthcheck(ready_dir: Path) -> bool:
    """The container's healthcheck script, run as Docker runs it, against this worker's ready files."""
    env = {**os.environ, "READY_DIR": str(ready_dir)}
    return subprocess.run(["bash", str(HEALTHCHECK)], env=env, capture_output=True).returncode == 0


def rq_key(rclient: redis.Redis, worker_pid: int) -> bytes:
    """RQ's hash for the worker process with this pid (its name is `<host>.<pid>.<token>`)."""
    keys = [k for k in rclient.keys("rq:worker:*") if k.split(b".")[-2:-1] == [str(worker_pid).encode()]]
    assert len(keys) == 1, keys
    return keys[0]


def test_healthcheck_turns_unhealthy_when_the_pool_loses_a_process_and_healthy_once_replaced(
    api: httpx.Client, start_worker: Callable, tmp_path: Path
) -> None:
    assert not healthcheck(tmp_path), "healthy with no worker at all"
    worker = start_worker(READY_DIR=str(tmp_path))
    wait_for(lambda: healthcheck(tmp_path) or None, 30, "healthy worker")
    wait_for(lambda: [w["ready"] for w in api.get("/workers").json()] == [True] or None, 30, "ready")
    kill(pool_processes(worker.pid)[0])
    wait_for(lambda: not healthcheck(tmp_path) or None, 30, "unhealthy after a pool process died")
    # GET /workers says the same (one beat later), for tools that wait on the workers' own word.
    wait_for(lambda: [w["ready"] for w in api.get("/workers").json()] == [False] or None, 30, "not ready")
    # The next job replaces the pool first; the worker is then whole, and healthy, again.
    job_id = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}})
    assert wait_for_job(api, job_id, 30)["result"]["count"] == PRIMES_BELOW_1E6
    wait_for(lambda: healthcheck(tmp_path) or None, 30, "healthy with a fresh pool")


def test_a_worker_whose_rq_registration_is_gone_registers_again_and_stays_ready(
    api: httpx.Client, rclient: redis.Redis, start_worker: Callable, tmp_path: Path
) -> None:
    """RQ's hash evicted (volatile-lru) or lost with a Redis restart: the heartbeat writes it again with
    RQ's own `register_birth`, so the worker is listed, ready and consuming, not unready for good."""
    worker = start_worker(READY_DIR=str(tmp_path))
    wait_for(lambda: healthcheck(tmp_path) or None, 30, "healthy worker")
    key = rq_key(rclient, worker.pid)
    birth = rclient.hget(key, "birth")
    rclient.delete(key)
    wait_for(lambda: rclient.hget(key, "birth") not in (None, birth) or None, 30, "RQ's record written again")
    assert rclient.hget(key, "state") in (b"idle", b"busy")
    # Listed again by RQ (beside any worker an earlier test killed, whose record has not expired yet).
    assert key.decode() in [
        w.key for w in Worker.all(connection=rclient, queue=Queue(QUEUE, connection=rclient))
    ]
    wait_for(lambda: healthcheck(tmp_path) or None, 30, "healthy again")
    job = submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}, "mode": "local"})
    assert wait_for_job(api, job)["result"]["count"] == PRIMES_BELOW_1E6


def test_healthcheck_fails_on_a_stale_ready_file(tmp_path: Path) -> None:
    """A worker that stopped beating (hung, or Redis away) turns unhealthy once its file is 5 s old."""
    (tmp_path / "host.1.abc").write_text(f"{int(time.time())}\n")
    assert healthcheck(tmp_path)
    (tmp_path / "host.2.def").write_text(f"{int(time.time()) - 6}\n")
    assert not healthcheck(tmp_path)

"""A worker that Redis refuses (out of memory) at its start or at a job's end never exits: it backs off,
stays unready (no ready file), and resumes alone once Redis takes writes again, the job finished exact.

Real redis-server under noeviction with its maxmemory pushed below what it holds (every write refused,
as when what cannot be evicted fills it), a real `python -m worker` process, the API on loopback.
"""

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested

from services.tools.local_stack import api as api_process
from services.tools.local_stack import env, stop
from tests.helpers import own_redis_client, submit, wait_for, wait_for_job
from worker.queue.recovery import stop_requested

pytestmark = pytest.mark.integration

QUEUE = "recovery"
# One job of a second or more on one process: long enough to refuse Redis to it while it computes.
LONG = {"kernel": "primes", "params": {"start": 0, "stop": 3_000_000}, "mode": "local"}
PRIMES_BELOW_3M = 216_816
REFUSED = "Redis refuses (OutOfMemoryError"


class Worker:
    """`python -m worker` with its log in a file and its ready files in a folder of its own."""

    def __init__(self, url: str, folder: Path) -> None:
        self.ready_dir = folder / "ready"
        self.log = folder / "worker.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "worker"],
                env=env(url, QUEUE, 1, READY_DIR=str(self.ready_dir)),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        return self.ready_dir.is_dir() and any(self.ready_dir.iterdir())

    def refusals(self, what: str) -> int:
        return sum(what in line and REFUSED in line for line in self.log.read_text().splitlines())


@pytest.fixture
def db() -> Iterator[redis.Redis]:
    yield from own_redis_client("--maxmemory-policy", "noeviction")


def _refuse_writes(db: redis.Redis) -> None:
    db.config_set("maxmemory", "1")


def _take_writes(db: redis.Redis) -> None:
    db.config_set("maxmemory", "0")


def _url(db: redis.Redis) -> str:
    kwargs = db.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/0"


def _resumes(db: redis.Redis, worker: Worker) -> None:
    """The same worker process gets ready again by itself and finishes a new job exact."""
    wait_for(lambda: worker.ready() or None, 60, "the worker ready again")
    with api_process(_url(db), QUEUE) as base, httpx.Client(base_url=base, timeout=10) as api:
        view = wait_for_job(api, submit(api, {**LONG, "params": {"start": 0, "stop": 1000}}))
    assert view["status"] == "finished"
    assert view["result"]["count"] == 168  # primes below 1000
    assert worker.proc.poll() is None


def test_out_of_memory_at_start_backs_off_unready_then_resumes(db: redis.Redis, tmp_path: Path) -> None:
    _refuse_writes(db)
    worker = Worker(_url(db), tmp_path)
    try:
        # It backs off (twice seen in its log), alive and unready, instead of exiting.
        wait_for(lambda: worker.refusals("mark the worker alive") >= 2 or None, 60, "two back-offs")
        assert worker.proc.poll() is None
        assert not worker.ready()
        _take_writes(db)
        _resumes(db, worker)
    finally:
        stop([worker.proc])


def _refused_at_its_end(db: redis.Redis, tmp_path: Path, request: dict, refused_write: str) -> str:
    """Submit a long job, refuse Redis's writes while it computes: its end write (`refused_write`, as its
    log names it) backs off, unready, the job still started (not failed); writes taken again, it finishes
    exact and the worker gets ready again. The job's id."""
    worker = Worker(_url(db), tmp_path)
    try:
        wait_for(lambda: worker.ready() or None, 60, "the worker ready")
        with api_process(_url(db), QUEUE) as base, httpx.Client(base_url=base, timeout=10) as api:
            job_id = submit(api, request)
            wait_for(lambda: api.get(f"/jobs/{job_id}").json()["status"] == "started" or None, 60, "started")
            _refuse_writes(db)
            wait_for(lambda: worker.refusals(refused_write) >= 2 or None, 120, "two back-offs at its end")
            wait_for(lambda: not worker.ready() or None, 30, "the ready file removed")
            # (Read straight from Redis: the API's reads are transactions, which Redis refuses when OOM.)
            assert db.hget(f"cpuc:job:{job_id}", "status") == b"started"
            assert worker.proc.poll() is None
            _take_writes(db)
            view = wait_for_job(api, job_id, timeout=120)
        assert view["status"] == "finished", view
        assert view["result"]["count"] == PRIMES_BELOW_3M
        wait_for(lambda: worker.ready() or None, 60, "the worker ready again")
        assert worker.proc.poll() is None
        return job_id
    finally:
        stop([worker.proc])


def test_out_of_memory_at_a_jobs_end_backs_off_unready_then_finishes_it(
    db: redis.Redis, tmp_path: Path
) -> None:
    # The first of a local job's end writes notes the processes that ran it; then the answer.
    _refused_at_its_end(db, tmp_path, LONG, "note a job's processes")


def test_out_of_memory_at_a_chunks_finish_backs_off_then_merges_it(db: redis.Redis, tmp_path: Path) -> None:
    """LeanWorker merges a chunk in its finish script (finish_ours.lua), which here also ends the job (its
    one chunk): refused, the merge is tried again, never dropped, and the job ends finished exact."""
    one_chunk = {**LONG, "mode": "distributed", "chunk_size": LONG["params"]["stop"]}
    job_id = _refused_at_its_end(db, tmp_path, one_chunk, "finish a chunk and merge it")
    assert db.hmget(f"cpuc:job:{job_id}", "chunks_done", "chunks_total") == [b"1", b"1"]


def test_out_of_memory_in_rqs_loop_restarts_the_loop_instead_of_exiting(
    db: redis.Redis, tmp_path: Path
) -> None:
    """RQ's loop quits on an error it does not handle (it logs it and returns): here the OOM that its
    wait for a job (BLMOVE, a write) meets once its connection is cut. It is started again instead."""
    worker = Worker(_url(db), tmp_path)
    try:
        wait_for(lambda: worker.ready() or None, 60, "the worker ready")
        _refuse_writes(db)
        db.client_kill_filter(_type="normal", skipme=True)
        wait_for(
            lambda: (
                worker.refusals("RQ's work loop") + worker.refusals("the worker's registration") >= 2 or None
            ),
            60,
            "the loop backing off",
        )
        assert worker.proc.poll() is None
        wait_for(lambda: not worker.ready() or None, 30, "the ready file removed")
        _take_writes(db)
        _resumes(db, worker)
    finally:
        stop([worker.proc])


def test_rq_still_records_a_stop_request_where_recovery_reads_it(redis_client: redis.Redis) -> None:
    """worker.queue.recovery tells a stop from a quit on error by RQ's private `_shutdown_requested_date`."""
    worker = SimpleWorker(["coupling"], connection=redis_client)
    assert not stop_requested(worker)
    with pytest.raises(StopRequested):
        worker.request_stop(signal.SIGTERM, None)  # idle: RQ stops its loop at once
    assert stop_requested(worker)

"""WORKER_CLASS=simple: stock rq.SimpleWorker takes the jobs, on the same queue, and the answers are exact.

This module starts its own redis-server, API and `python -m worker` process, so that the only RQ
worker on its queue is the one started with WORKER_CLASS=simple.
"""

import socket
from collections.abc import Iterator
from subprocess import Popen

import httpx
import pytest
import redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop
from tests.helpers import BACKSTOP, submit, wait_for, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6

pytestmark = pytest.mark.integration

QUEUE = "stock"
HOST = socket.gethostname()
STOCK = f"{SimpleWorker.__module__}.{SimpleWorker.__qualname__}"
PRIMES_1E6 = {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}


@pytest.fixture(scope="module")
def simple_worker(url: str, rclient: redis.Redis) -> Iterator[Popen]:
    procs = our_workers(url, QUEUE, 1, 2, quiet=False, WORKER_CLASS="simple")
    try:
        wait_for(lambda: Worker.all(connection=rclient) or None, 30, "the RQ worker")
        yield procs[0]
    finally:
        stop(procs)


@pytest.fixture(scope="module")
def api(url: str, simple_worker: Popen) -> Iterator[httpx.Client]:
    with api_process(url, QUEUE, quiet=False) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.mark.parametrize("mode", ["local", "distributed"])
def test_stock_simple_worker_runs_the_jobs_exactly(
    api: httpx.Client, rclient: redis.Redis, simple_worker: Popen, mode: str
) -> None:
    body = {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}, "mode": mode}
    view = wait_for_job(api, submit(api, body))
    assert view["status"] == "finished", view
    assert view["result"] == PRIMES_1E6
    # The one RQ worker on this queue is the process started with WORKER_CLASS=simple, and it ran them all.
    (worker,) = Worker.all(connection=rclient)
    assert worker.pid == simple_worker.pid
    queue = Queue(QUEUE, connection=rclient, serializer=JSONSerializer)
    finished = Job.fetch_many(queue.finished_job_registry.get_job_ids(), rclient, JSONSerializer)
    assert finished and {job.worker_name for job in finished} == {worker.name}
    if mode == "distributed":
        assert view["pids"] == [f"{HOST}:{simple_worker.pid}"]


def test_the_self_report_names_stock_simple_worker(api: httpx.Client) -> None:
    reports = wait_for(lambda: api.get("/workers").json() or None, BACKSTOP, "worker reports")
    (report,) = [r for r in reports if r["host"] == HOST]
    assert report["worker_class"] == STOCK
    assert report["pool_processes"] == 2

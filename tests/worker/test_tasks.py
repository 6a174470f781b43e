"""The worker carries out the API's plan as it stands: a worker whose own settings are stricter, or plan
otherwise, still runs every job the API accepted, exactly as the API planned it (real processes)."""

import socket
from collections.abc import Iterator

import httpx
import pytest
from rq import Worker

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop
from shared.kernels.pi import count_hits
from tests.helpers import submit, wait_for, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6

pytestmark = pytest.mark.integration
QUEUE = "strict"
HOST = socket.gethostname()
# Limits that refuse every job below, and planning settings unlike the API's (the defaults).
STRICT = {
    "MAX_PRIMES_SPAN": "10",
    "MAX_PRIMES_STOP": "100",
    "MAX_PI_SAMPLES": "10",
    "MAX_CHUNKS": "1",
    "POOL_TASKS": "1",
    "DISTRIBUTED_CHUNKS": "1",
    "COST_PRIMES_UNIT_SECONDS": "1",
    "COST_PI_SAMPLE_SECONDS": "1",
}


@pytest.fixture(scope="module")
def api(url: str, rclient) -> Iterator[httpx.Client]:
    workers = our_workers(url, QUEUE, 1, 2, quiet=False, **STRICT)
    try:
        wait_for(lambda: len(Worker.all_keys(connection=rclient)) >= 1 or None, 30, "the strict worker")
        with api_process(url, QUEUE, quiet=False) as base, httpx.Client(base_url=base, timeout=10) as client:
            yield client
    finally:
        stop(workers)


@pytest.mark.parametrize(("mode", "chunks"), [("local", 8), ("distributed", 16), ("hybrid", 16)])
def test_a_stricter_worker_runs_the_primes_job_the_api_accepted_as_planned(
    api: httpx.Client, mode: str, chunks: int
) -> None:
    view = wait_for_job(
        api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}, "mode": mode})
    )
    assert view["status"] == "finished", view
    assert view["result"] == {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}
    # The API's plan (tests/shared/test_plan.py), not one the worker's settings would make.
    assert view["progress"] == {"chunks_done": chunks, "chunks_total": chunks, "percent": 100.0}
    assert view["hosts"] == {HOST: chunks}
    assert view["pool_processes"] == {HOST: 1 if mode == "distributed" else 2}


def test_a_stricter_worker_runs_the_pi_job_the_api_accepted(api: httpx.Client) -> None:
    body = {"kernel": "pi", "params": {"samples": 400_000, "seed": 3}, "mode": "hybrid", "chunk_size": 50_000}
    view = wait_for_job(api, submit(api, body))
    expected = count_hits(3, 0, 400_000)
    assert view["status"] == "finished", view
    assert (view["result"]["count"], view["result"]["histogram"]) == (expected.count, expected.histogram)
    assert view["progress"]["chunks_total"] == 8

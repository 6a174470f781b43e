"""local, distributed and hybrid give the same exact answer; chunks are merged once, in Redis."""

import socket

import httpx
import pytest
import redis

from shared.kernels.pi import count_hits
from tests.conftest import POOL_PROCESSES
from tests.helpers import submit, wait_for_job
from tests.reference import LAST_DIGITS_BELOW_1E6, PRIMES_BELOW_1E6

pytestmark = pytest.mark.integration
PRIMES_1E6 = {"count": PRIMES_BELOW_1E6, "histogram": LAST_DIGITS_BELOW_1E6}


@pytest.mark.parametrize("mode", ["local", "distributed", "hybrid"])
def test_every_mode_gives_the_exact_answer(api: httpx.Client, mode: str) -> None:
    response = api.post(
        "/jobs", json={"kernel": "primes", "params": {"start": 0, "stop": 1_000_000}, "mode": mode}
    )
    assert response.status_code == 202
    chunks = response.json()["chunks"]
    # Queue chunks are sized from the estimated work (~0.58 s by the cost model): DISTRIBUTED_CHUNKS (16).
    assert chunks == (None if mode == "local" else 16)
    view = wait_for_job(api, response.json()["id"])
    if chunks is not None:
        assert view["progress"]["chunks_total"] == chunks
    assert view["status"] == "finished", view
    assert view["mode"] == mode
    assert view["result"] == PRIMES_1E6
    assert view["progress"]["percent"] == 100.0
    assert sum(view["hosts"].values()) == view["progress"]["chunks_total"]


def test_distributed_chunks_run_one_process_each_and_hybrid_uses_the_pool(api: httpx.Client) -> None:
    body = {"kernel": "pi", "params": {"samples": 400_000, "seed": 3}, "chunk_size": 50_000}
    distributed = wait_for_job(api, submit(api, {**body, "mode": "distributed"}))
    hybrid = wait_for_job(api, submit(api, {**body, "mode": "hybrid"}))
    expected = count_hits(3, 0, 400_000)
    for view in (distributed, hybrid):
        assert view["result"]["count"] == expected.count
        assert view["result"]["histogram"] == expected.histogram
        assert view["progress"]["chunks_total"] == 8
    host = socket.gethostname()
    assert distributed["pool_processes"] == {host: 1}
    assert hybrid["pool_processes"] == {host: POOL_PROCESSES}


def test_a_chunk_merged_twice_counts_once(api: httpx.Client, redis_client: redis.Redis) -> None:
    from shared.job_store import JobStore
    from shared.kernels.primes import count_primes

    view = wait_for_job(
        api, submit(api, {"kernel": "primes", "params": {"start": 0, "stop": 100_000}, "mode": "distributed"})
    )
    assert view["status"] == "finished"
    store = JobStore(redis_client, 600)
    # Replaying chunk 0 (as a retry after a lost acknowledgement would) is refused: the job has ended
    # (its merged set went with its end; while it runs, the set refuses it: test_admission.py).
    assert store.merge_chunk(view["id"], 0, count_primes(0, view["chunk_size"]), 0.0, "replay") == -2
    assert api.get(f"/jobs/{view['id']}").json()["result"] == view["result"]

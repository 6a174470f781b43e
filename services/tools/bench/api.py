"""Through the API: tiny jobs submit -> finished over HTTP, and enqueue throughput with no worker running."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import redis

from services.tools import api_auth
from services.tools.bench.defaults import TINY_HI
from services.tools.loadtest.report import expected_result
from services.tools.loadtest.runner import run_all
from services.tools.loadtest.workload import Workload
from services.tools.stack import host_settings
from shared.percentiles import percentile

# One tiny distributed job of one chunk: primes in [0, TINY_HI).
TINY = Workload("primes", TINY_HI, 0, 1, "distributed", TINY_HI)


def latency(base_url: str, jobs: int, concurrency: int) -> dict[str, Any]:
    """Submit `jobs` tiny distributed jobs, `concurrency` in flight; client and server-side latencies."""
    workload = Workload(TINY.kernel, TINY.size, jobs, concurrency, TINY.mode, TINY.chunk_size)
    outcomes, wall = run_all(base_url, workload, 60, lambda _: None)
    expected = expected_result(workload, workload.expected())
    finished = [o for o in outcomes if o.status == "finished"]
    server = sorted(o.view["ended_at"] - o.view["created_at"] for o in finished)
    return {
        "jobs": jobs,
        "concurrency": concurrency,
        "finished": len(finished),
        "exact": sum(o.view["result"] == expected for o in finished),
        "jobs_per_second": len(finished) / wall,
        "client_p50_seconds": percentile(sorted(o.latency for o in finished), 50),
        "server_p50_seconds": percentile(server, 50),
    }


def _post_one(client: httpx.Client, body: dict[str, Any]) -> None:
    client.post("/jobs", json=body).raise_for_status()


def enqueue_rates(
    base_url: str, connection: redis.Redis, requests: int, batches: int, concurrency: int
) -> dict[str, Any]:
    """Jobs accepted per second: one per request (sequential, concurrent), and MAX_BATCH per request."""
    body = {"kernel": "primes", "params": {"start": 0, "stop": 1_000}}
    out: dict[str, Any] = {}
    with httpx.Client(
        base_url=base_url,
        headers=api_auth.headers(),
        timeout=30,
        limits=httpx.Limits(max_connections=concurrency + 2),
    ) as client:
        for _ in range(5):  # warm: connections open, code paths imported
            _post_one(client, body)
        t0 = time.perf_counter()
        for _ in range(requests):
            _post_one(client, body)
        out["sequential"] = requests / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda _: _post_one(client, body), range(requests)))
        out["concurrent"] = requests / (time.perf_counter() - t0)
        size = host_settings().max_batch
        rates = []
        for _ in range(batches):
            t0 = time.perf_counter()
            response = client.post("/jobs/batch", json={"jobs": [body] * size})
            response.raise_for_status()
            rates.append(size / (time.perf_counter() - t0))
            assert len(response.json()["ids"]) == size
        out["batch"] = statistics.median(rates)
        out["batch_size"] = size
        out["concurrency"] = concurrency
    return out

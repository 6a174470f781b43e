"""Watchers: many GET /jobs/{id}?wait= held on one API process, and what the others routes see meanwhile.

One API process, no worker: the job is marked running and ended through the job store's own steps, so
nothing but the watchers and the probes touches the API. In the same run: /health and POST /jobs
latency with no watcher, then with every watcher held; the API process's CPU (psutil) and Redis's
commands while they are held; then every watcher's answer once the job ends.
"""

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import redis

from services.api.watch import WAIT_MAX_SECONDS
from services.tools.bench.defaults import PHASE_TIMEOUT
from services.tools.monitor.cgroups import process_cpu_seconds
from services.tools.redis_stats import command_calls
from services.tools.waiting import wait_for
from shared.job_store import JobStore
from shared.percentiles import percentile
from shared.tally import Tally

BODY = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}
ANSWER = Tally(168, [0, 40, 1, 46, 0, 1, 0, 40, 0, 40])


def _latencies(client: httpx.Client, request: Callable[[httpx.Client], httpx.Response], n: int) -> dict:
    """p50 and p99 (seconds) of n sequential requests, each checked."""
    seconds = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = request(client)
        seconds.append(time.perf_counter() - t0)
        assert response.status_code in (200, 202), response.text
    seconds.sort()
    return {"p50_seconds": percentile(seconds, 50), "p99_seconds": percentile(seconds, 99), "requests": n}


def _health(client: httpx.Client) -> httpx.Response:
    return client.get("/health")


def _post(client: httpx.Client) -> httpx.Response:
    return client.post("/jobs", json=BODY)


class _Watchers:
    """`count` long polls on one job, held by an event loop in a thread of their own."""

    def __init__(self, base_url: str, job_id: str, count: int) -> None:
        self.responses: list[httpx.Response] = []
        self._args = (base_url, job_id, count)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        base_url, job_id, count = self._args
        limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
        async with httpx.AsyncClient(base_url=base_url, timeout=WAIT_MAX_SECONDS + 30, limits=limits) as c:
            self.responses = await asyncio.gather(
                *(c.get(f"/jobs/{job_id}", params={"wait": WAIT_MAX_SECONDS}) for _ in range(count))
            )

    def __enter__(self) -> "_Watchers":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(PHASE_TIMEOUT)


def run(base_url: str, api_pid: int, connection: redis.Redis, count: int, probes: int, hold: float) -> dict:
    """The watcher figures: `count` watchers, `probes` requests per latency figure, `hold` s of CPU."""
    store = JobStore(connection, 600)
    out: dict[str, Any] = {"watchers": count}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        job_id = _post(client).raise_for_status().json()["id"]
        store.begin(job_id, "bench", 1)
        out["idle"] = {
            "health": _latencies(client, _health, probes),
            "post": _latencies(client, _post, probes),
        }
        reads = command_calls(connection).get("hvals", 0)
        with _Watchers(base_url, job_id, count) as watchers:
            # Each watcher reads the job once (one HVALS, of its merged hash) before it waits.
            wait_for(
                lambda: command_calls(connection).get("hvals", 0) >= reads + count or None,
                PHASE_TIMEOUT,
                "every watcher's first read",
            )
            cpu0, calls0, t0 = (
                process_cpu_seconds(api_pid, children=False),
                command_calls(connection),
                time.perf_counter(),
            )
            time.sleep(hold)
            cpu1, calls1, t1 = (
                process_cpu_seconds(api_pid, children=False),
                command_calls(connection),
                time.perf_counter(),
            )
            out["api_cpu_percent_held"] = 100 * (cpu1 - cpu0) / (t1 - t0)
            # Our own INFO (the second look) is left out: any other command is the API's.
            sent = {name: n - calls0.get(name, 0) for name, n in calls1.items()}
            out["redis_commands_held"] = sum(n for name, n in sent.items() if name != "info")
            out["held"] = command_calls(connection).get("hvals", 0) - reads
            out["watching"] = {
                "health": _latencies(client, _health, probes),
                "post": _latencies(client, _post, probes),
            }
            store.finish_local(job_id, ANSWER, 0.1, "bench", 1)
        answered = [r for r in watchers.responses if r.status_code == 200]
        out["answered"] = sum(r.json()["status"] == "finished" for r in answered)
    return out

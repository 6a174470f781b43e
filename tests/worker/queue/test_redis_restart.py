"""Redis restarts under load: the API answers 503 + Retry-After meanwhile, nothing accepted is lost (AOF)."""

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop
from tests.helpers import BACKSTOP, free_port, require_tool, submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration

QUEUE = "restart"
# Seconds Redis stays away: longer than redis-py's own few quick retries.
DOWNTIME = 3
JOBS = 8
BODY = {"kernel": "primes", "params": {"start": 0, "stop": 300_000}, "chunk_size": 10_000}
PRIMES_BELOW_300K = 25_997
# The crash test's stream: small distributed jobs of 3 chunks (the mode of the job seen stuck).
SMALL = {
    "kernel": "primes",
    "params": {"start": 0, "stop": 30_000},
    "mode": "distributed",
    "chunk_size": 10_000,
}
PRIMES_BELOW_30K = 3_245


class RedisServer:
    """A redis-server with AOF on in its own folder, which can be stopped and started again on its port."""

    def __init__(self, folder: Path) -> None:
        self.executable = require_tool("redis-server")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: redis.Redis.from_url(self.url).ping() or None, BACKSTOP, "redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            stop([self.proc])  # SIGTERM: Redis flushes its AOF and exits, as on `docker compose restart`

    def crash(self) -> None:
        """SIGKILL, as `docker kill -s KILL`: no flush, no goodbye; what it replied to is in the AOF."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[RedisServer, httpx.Client]]:
    server = RedisServer(tmp_path)
    server.start()
    worker = our_workers(server.url, QUEUE, 1, 1, quiet=False)
    try:
        with api_process(server.url, QUEUE) as base, httpx.Client(base_url=base, timeout=10) as client:
            yield server, client
    finally:
        stop(worker, grace=20)
        server.stop()


def test_a_redis_restart_loses_no_accepted_job(stack: tuple[RedisServer, httpx.Client]) -> None:
    server, api = stack
    accepted = [submit(api, BODY) for _ in range(JOBS)]
    # Redis goes away in the middle of a job: the worker must ride it out, not fail or drop the job.
    wait_for(
        lambda: api.get(f"/jobs/{accepted[0]}").json()["status"] == "started" or None, 30, "a job running"
    )
    server.stop()
    # While Redis is away: a prompt 503 with Retry-After, not a 500 and not a hang.
    for response in (api.get("/health"), api.post("/jobs", json=BODY), api.get(f"/jobs/{accepted[0]}")):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        assert "Redis is unavailable" in response.json()["detail"]
    time.sleep(DOWNTIME)
    server.start()
    # Every job accepted before the restart finishes exact; the API and the worker reconnected by themselves.
    after = submit(api, BODY)
    views = [wait_for_job(api, job_id, timeout=120) for job_id in [*accepted, after]]
    assert [v["status"] for v in views] == ["finished"] * (JOBS + 1), [v["error"] for v in views]
    assert all(v["result"]["count"] == PRIMES_BELOW_300K for v in views)


def test_a_redis_process_crash_mid_stream_loses_no_202(stack: tuple[RedisServer, httpx.Client]) -> None:
    """Issue 24's case: Redis SIGKILLed in the middle of a steady stream of POST /jobs (the AOF is written
    before Redis replies, so a 202 is on disk), then started again: every 202 ends finished exact, none
    stays `started` (a take whose reply was lost is answered again: test_lean_worker.py)."""
    server, api = stack
    accepted: list[str] = []
    refused = threading.Event()
    done = threading.Event()

    def stream() -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=10) as client:
            while not done.is_set():
                try:
                    response = client.post("/jobs", json=SMALL)
                except httpx.HTTPError:
                    continue  # no answer: its outcome is unknown, and it is not counted
                if response.status_code == 202:
                    accepted.append(response.json()["id"])
                elif response.status_code == 503:
                    refused.set()
                    time.sleep(0.2)

    streamer = threading.Thread(target=stream, daemon=True)
    streamer.start()
    try:
        wait_for(lambda: len(accepted) >= 30 or None, 60, "a stream of accepted jobs")
        server.crash()
        wait_for(lambda: refused.is_set() or None, 30, "the API answering 503 while Redis is down")
        server.start()
        count = len(accepted)
        wait_for(lambda: len(accepted) >= count + 30 or None, 60, "the stream accepted again")
    finally:
        done.set()
        streamer.join(30)
    views = [wait_for_job(api, job_id, timeout=180) for job_id in accepted]
    assert [v["status"] for v in views] == ["finished"] * len(accepted), [v["error"] for v in views]
    assert {v["result"]["count"] for v in views} == {PRIMES_BELOW_30K}

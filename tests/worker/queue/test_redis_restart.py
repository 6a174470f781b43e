"""Redis restarts under load: the API answers 503 + Retry-After meanwhile, nothing accepted is lost (AOF)."""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop
from tests.helpers import free_port, require_tool, submit, wait_for, wait_for_job

pytestmark = pytest.mark.integration

QUEUE = "restart"
# Seconds Redis stays away: longer than redis-py's own few quick retries.
DOWNTIME = 3
JOBS = 8
BODY = {"kernel": "primes", "params": {"start": 0, "stop": 300_000}, "chunk_size": 10_000}
PRIMES_BELOW_300K = 25_997


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
        wait_for(lambda: redis.Redis.from_url(self.url).ping() or None, 10, "redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            stop([self.proc])  # SIGTERM: Redis flushes its AOF and exits, as on `docker compose restart`


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

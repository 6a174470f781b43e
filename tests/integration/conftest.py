"""A real stack on loopback: redis-server, two RQ worker processes (`python -m worker`), the API (uvicorn)."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import redis
from rq import Worker

from tests.helpers import free_port, require_tool, wait_for

WORKER_PROCESSES = 2
POOL_PROCESSES = 2


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    server = require_tool("redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: redis.Redis.from_url(url).ping() or None, 10, "redis-server")
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(url=redis_url)


@pytest.fixture(scope="session")
def stack_env(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "QUEUE_NAME": "integration",
        "POOL_PROCESSES": str(POOL_PROCESSES),
        "REDIS_WAIT_SECONDS": "10",
    }


@pytest.fixture(scope="session")
def workers(stack_env: dict[str, str], redis_client: redis.Redis) -> Iterator[list[subprocess.Popen]]:
    procs = [
        subprocess.Popen([sys.executable, "-m", "worker"], env=stack_env) for _ in range(WORKER_PROCESSES)
    ]
    try:
        wait_for(
            lambda: len(Worker.all_keys(connection=redis_client)) >= WORKER_PROCESSES or None,
            30,
            "RQ workers",
        )
        yield procs
    finally:
        for proc in procs:
            _stop(proc)


@pytest.fixture(scope="session")
def api(stack_env: dict[str, str], workers: list[subprocess.Popen]) -> Iterator[httpx.Client]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=stack_env,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        wait_for(lambda: client.get("/health").status_code == 200 or None, 20, "API")
        yield client
    finally:
        client.close()
        _stop(proc)

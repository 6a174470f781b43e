"""A real stack on loopback: redis-server, two RQ worker processes (`python -m worker`), the API (uvicorn)."""

from collections.abc import Iterator
from subprocess import Popen

import httpx
import pytest
import redis
from rq import Worker

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop
from tests.helpers import own_redis_server, wait_for

QUEUE = "integration"
WORKER_PROCESSES = 2
POOL_PROCESSES = 2


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    yield from own_redis_server()


@pytest.fixture(scope="session")
def redis_client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(url=redis_url)


@pytest.fixture(scope="session")
def workers(redis_url: str, redis_client: redis.Redis) -> Iterator[list[Popen]]:
    procs = our_workers(redis_url, QUEUE, WORKER_PROCESSES, POOL_PROCESSES, quiet=False)
    try:
        wait_for(
            lambda: len(Worker.all_keys(connection=redis_client)) >= WORKER_PROCESSES or None,
            30,
            "RQ workers",
        )
        yield procs
    finally:
        stop(procs)


@pytest.fixture(scope="session")
def api(redis_url: str, workers: list[Popen]) -> Iterator[httpx.Client]:
    with (
        api_process(redis_url, QUEUE, quiet=False) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield client

"""Fixtures of the worker tests that start, signal or kill workers: each module gets a Redis of its own."""

from collections.abc import Iterator

import pytest
import redis

from tests.helpers import own_redis_server


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A redis-server for this module alone (its workers are killed, its keys all read)."""
    yield from own_redis_server()


@pytest.fixture(scope="module")
def rclient(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)

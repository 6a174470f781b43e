"""Redis's own network counters (INFO stats), read by the load test: a real redis-server's."""

from collections.abc import Iterator

import pytest
import redis

from services.tools.redis_stats import network_bytes
from tests.helpers import own_redis_client

pytestmark = pytest.mark.integration


@pytest.fixture
def server() -> Iterator[redis.Redis]:
    yield from own_redis_client()


def test_bytes_written_and_read_back_are_counted_in_and_out(server: redis.Redis) -> None:
    value = bytes(range(256)) * 4096  # 1 MiB
    before = network_bytes(server)
    server.set("payload", value)
    assert server.getrange("payload", 0, -1) == value
    moved = network_bytes(server).since(before)
    # The value in, and out again, plus the commands' own few bytes (and INFO's reply, out).
    assert len(value) <= moved.rx < len(value) + 4096
    assert len(value) <= moved.tx < len(value) + 4096 + 16384

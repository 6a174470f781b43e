"""Redis's own network counters (INFO stats), read by the load test: a real redis-server's."""

import subprocess
from collections.abc import Iterator

import pytest
import redis

from services.tools.loadtest.traffic import parse_info_bytes
from shared.net.counters import redis_bytes as network_bytes
from tests.helpers import own_redis_client, require_tool

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


def test_the_load_tests_reading_of_redis_cli_agrees_with_the_clients(server: redis.Redis) -> None:
    """traffic.py reads INFO as redis-cli prints it (inside Redis's container): the same counters."""
    port = server.connection_pool.connection_kwargs["port"]
    before = network_bytes(server)
    printed = subprocess.run(
        [require_tool("redis-cli"), "-p", str(port), "INFO", "stats"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after = network_bytes(server)
    found = parse_info_bytes(printed)
    assert found is not None
    assert before.rx <= found.rx <= after.rx and before.tx <= found.tx <= after.tx
    assert parse_info_bytes("# Stats\r\ntotal_connections_received:3\r\n") is None

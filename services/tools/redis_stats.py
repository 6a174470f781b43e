"""What a redis-server says it has done: its command counts and network bytes, read one way for the bench,
the load test and the tests."""

import redis

from shared.net.counters import NetBytes


def command_calls(connection: redis.Redis) -> dict[str, int]:
    """Calls per command (lower case, `evalsha`, `hset`) since the server started (INFO commandstats)."""
    stats = connection.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}


def network_bytes(connection: redis.Redis) -> NetBytes:
    """Bytes Redis received (rx) and sent (tx) over every client connection since it started (INFO stats)."""
    stats = connection.info("stats")
    return NetBytes(int(stats["total_net_input_bytes"]), int(stats["total_net_output_bytes"]))

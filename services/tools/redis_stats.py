"""What a redis-server says it has done: its command counts, read one way for the bench and the tests (its
network bytes: shared.net.counters.redis_bytes)."""

import redis


def command_calls(connection: redis.Redis) -> dict[str, int]:
    """Calls per command (lower case, `evalsha`, `hset`) since the server started (INFO commandstats)."""
    stats = connection.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}

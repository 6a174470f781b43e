"""Where workers publish their self-reports in Redis, and how readers get them back."""

import json
from typing import Any

from redis import Redis

PREFIX = "cpuc:worker:"
SERIES_SUFFIX = ":series"


def report_key(host: str) -> str:
    """The latest report of one worker container."""
    return PREFIX + host


def series_key(host: str) -> str:
    """A worker container's CPU series: JSON [unix time, cpu %] items, oldest first."""
    return PREFIX + host + SERIES_SUFFIX


def read_reports(redis: Redis) -> list[dict[str, Any]]:
    """The latest report of every live worker container, by hostname."""
    keys = sorted(
        k for k in redis.scan_iter(match=PREFIX + "*", count=1000) if not k.endswith(SERIES_SUFFIX.encode())
    )
    return [json.loads(raw) for raw in (redis.mget(keys) if keys else []) if raw is not None]


def read_series(redis: Redis, since: float = 0.0) -> dict[str, list[tuple[float, float]]]:
    """Each worker container's CPU points ([unix time, cpu %]) newer than `since`, oldest first, by host.

    Hosts with no point after `since` are left out, so a container gone for longer than the window
    drops off a chart instead of lingering as a flat line.
    """
    keys = sorted(k.decode() for k in redis.scan_iter(match=PREFIX + "*" + SERIES_SUFFIX, count=1000))
    if not keys:
        return {}
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.lrange(key, 0, -1)
    series = {}
    for key, items in zip(keys, pipe.execute(), strict=True):
        # Sorted: several worker processes of one host (one container) may append, milliseconds apart.
        points = sorted((t, cpu) for t, cpu in map(json.loads, items) if t > since)
        if points:
            series[key[len(PREFIX) : -len(SERIES_SUFFIX)]] = points
    return series

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

"""Bytes moved in a compare or sweep cell: a round's (from its load test's `traffic`), per job.

Per job, so cells of different job counts compare: the worker, API and Redis containers' network bytes
in and out, Redis's own count (INFO stats), and the bytes the jobs read out of Redis and pickled to
pool processes (their records).
"""

from collections.abc import Sequence
from typing import Any

from rich.table import Table

from services.tools.loadtest.spread import Spread, spread

# The figures of a round, per job, in the order tables show them.
FIELDS = (
    "workers_in",
    "workers_out",
    "api_in",
    "api_out",
    "redis_in",
    "redis_out",
    "bytes_read",
    "bytes_pickled",
)
SHORT = {
    "workers_in": "workers in",
    "workers_out": "workers out",
    "api_in": "API in",
    "api_out": "API out",
    "redis_in": "Redis in",
    "redis_out": "Redis out",
    "bytes_read": "read",
    "bytes_pickled": "pickled",
}


def of_report(report: dict[str, Any]) -> dict[str, float | None] | None:
    """A load test report's bytes moved, per finished job; None if it has no `traffic` (an older one)."""
    if not report.get("traffic"):
        return None
    return per_job(report["traffic"], report["finished"])


def per_job(traffic: dict[str, Any] | None, jobs: int) -> dict[str, float | None] | None:
    """A load test's `traffic` as bytes per job; None when the report has none (or no job ran)."""
    if not traffic or not jobs:
        return None
    services = traffic["services"]
    redis = traffic["redis"] or {}

    def each(value: float | None) -> float | None:
        return None if value is None else value / jobs

    return {
        "workers_in": each(services.get("worker", {}).get("rx_bytes")),
        "workers_out": each(services.get("worker", {}).get("tx_bytes")),
        "api_in": each(services.get("api", {}).get("rx_bytes")),
        "api_out": each(services.get("api", {}).get("tx_bytes")),
        "redis_in": each(redis.get("in_bytes")),
        "redis_out": each(redis.get("out_bytes")),
        "bytes_read": each(traffic["jobs"]["bytes_read"]),
        "bytes_pickled": each(traffic["jobs"]["bytes_pickled"]),
    }


def over_rounds(rounds: Sequence[dict[str, float | None] | None]) -> dict[str, Spread | None]:
    """Each figure's median and range over the rounds that have it; {} if none has any."""
    known = [r for r in rounds if r is not None]
    return {name: spread([r.get(name) for r in known]) for name in FIELDS} if known else {}


def table(title: str, leading: tuple[str, ...], left: tuple[str, ...]) -> Table:
    """A bytes-per-job table: `leading` columns (those in `left` justified left), then one per figure."""
    made = Table(
        title=title,
        caption="containers: their network counters; Redis: INFO stats; read / pickled: the jobs' records "
        "(out of Redis; to pool processes)",
    )
    for column in (*leading, *(SHORT[name] for name in FIELDS)):
        made.add_column(column, justify="left" if column in left else "right", no_wrap=True)
    return made

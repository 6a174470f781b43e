"""Which worker processes of a peer consume: a set in the peers' Redis database, one `host:pid` each.

Each peer's worker adds its processes once they take messages (Celery's worker_ready lists its prefork
pool; a Dramatiq process after its boot), and touches a file its container's healthcheck reads (Dask's
workers register with their scheduler instead, which the driver asks: services/peers/dask/app.py). The driver
waits on the set for the containers the host tool names (their hostnames: a recreated container has a new
one, so an old member never counts), not on Docker's health, which shows up to an interval late.
"""

import socket
from collections.abc import Callable, Iterable
from pathlib import Path

import redis
from tenacity import Future, Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

# The file the peers' compose healthchecks test for (in the container's in-memory /tmp).
READY_FILE = Path("/tmp/peer-ready")


def key(peer: str) -> str:
    return f"peers:{peer}:ready"


def mark(connection: redis.Redis, peer: str, pids: Iterable[int]) -> None:
    """These processes of this container consume `peer`'s queue."""
    host = socket.gethostname()
    connection.sadd(key(peer), *(f"{host}:{pid}" for pid in pids))
    READY_FILE.touch()


def processes(connection: redis.Redis, peer: str, hosts: Iterable[str]) -> dict[str, int]:
    """Ready processes per named host (0 for a host none of whose processes said so yet)."""
    counts = dict.fromkeys(hosts, 0)
    for member in connection.smembers(key(peer)):
        host = member.decode().rpartition(":")[0]
        if host in counts:
            counts[host] += 1
    return counts


def wait(
    read: Callable[[], dict[str, int]],
    peer: str,
    each: int,
    seconds: float,
    transient: tuple[type[Exception], ...] = (),
) -> dict[str, int]:
    """`read()` (ready processes per named host) once every host has at least `each`; TimeoutError after
    `seconds`. At least: a peer that started more than its quota allows is reported as it is (the host
    tool checks the counts against the quota), not waited on forever. A `transient` error of `read` (the
    network of a container just started) is tried again until then, and raised if it is the last."""
    attempts = Retrying(
        stop=stop_after_delay(seconds),
        wait=wait_fixed(0.2),
        retry=retry_if_exception_type(transient)
        | retry_if_result(lambda counts: min(counts.values(), default=0) < each),
        retry_error_callback=lambda state: _timeout(peer, state.outcome, seconds),
    )
    return attempts(read)


def wait_in_redis(url: str, peer: str, hosts: list[str], each: int, seconds: float) -> dict[str, int]:
    """`wait` on the set in Redis at `url` (Celery's, Dramatiq's)."""
    with redis.Redis.from_url(url) as connection:
        read = lambda: processes(connection, peer, hosts)  # noqa: E731 - bound for wait
        return wait(read, peer, each, seconds, transient=(redis.ConnectionError, redis.TimeoutError))


def _timeout(peer: str, outcome: Future, seconds: float) -> dict[str, int]:
    if outcome.failed:
        raise outcome.exception()
    counts = outcome.result()
    raise TimeoutError(f"{peer}: not every worker container consumes after {seconds} s: {counts}")

"""The driver's side of the `dask` profile: a distributed Client of the profile's scheduler.

Configured as Dask's docs advise for pure-Python, GIL-holding work: worker processes, one thread each
(start.py: `dask worker --nworkers N --nthreads 1`, N from the container's quota; Dask's own `auto` reads
the quota too). Every chunk is a future of `run_chunk` (`pure=False`: the same chunk in two jobs runs
twice, as on the other queues), gathered in order. No broker: the scheduler hands tasks out, in a
container of its own with no CPU limit, as Redis is for the other rows.
"""

import socket
from functools import cache

from distributed import Client

from services.peers import ready
from services.peers.chunks import Answer, run_chunk

PEER = "dask"
# The scheduler, as compose names it on the stack's network (docker-compose.yml, `dask-scheduler`).
SCHEDULER = "tcp://dask-scheduler:8786"


@cache
def client() -> Client:
    return Client(SCHEDULER, set_as_default=False)


def wait_ready(hosts: list[str], each: int, seconds: float) -> dict[str, int]:
    """Worker processes registered with the scheduler per container, once each has `each`."""

    def read() -> dict[str, int]:
        counts = dict.fromkeys(hosts, 0)
        for host in client().run(socket.gethostname).values():
            if host in counts:
                counts[host] += 1
        return counts

    return ready.wait(read, PEER, each, seconds)


def run_all(kernel: str, size: int, chunks: list[tuple[int, int]]) -> list[Answer]:
    """Every chunk submitted as one task; their answers, in order, once all are back."""
    n = len(chunks)
    futures = client().map(
        run_chunk, [kernel] * n, [size] * n, [lo for lo, _ in chunks], [hi for _, hi in chunks], pure=False
    )
    return [(count, list(histogram)) for count, histogram in client().gather(futures)]

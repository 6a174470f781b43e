"""The Celery app of the `celery` profile's workers and driver, configured as Celery's docs advise for
long CPU-bound tasks ("Optimizing": prefork pool, late acks, prefetch multiplier 1).

- prefork pool of `worker_concurrency` processes: PEER_PROCESSES, else the container's CPU quota. Left to
  itself Celery takes the host's CPU count (`os.cpu_count()`), whatever `cpus:` says: in a 1-CPU container
  on a 16-core host, 16 processes taking turns on one CPU.
- `task_acks_late` and `worker_prefetch_multiplier=1`: a process reserves one message at a time, acked
  once run, so no chunk waits behind a busy process while another idles.
- Redis broker and result backend on PEER_REDIS_DB of the stack's Redis (ours is database 0); the
  driver collects every chunk's answer through the backend, as a Celery client would.
The workers start `--without-gossip --without-mingle --without-heartbeat` (compose): no events between
workers at rest, on the cores they are measured on.
"""

import redis
from celery import Celery, group
from celery.signals import worker_ready

from services.peers import ready
from services.peers.chunks import Answer, run_chunk
from shared.cgroup.quota import usable_cpus
from shared.settings import get_settings

PEER = "celery"
QUEUE = "peers-celery"
TASK = "peers.chunk"

settings = get_settings()
url = settings.peer_redis_url()
app = Celery("peers", broker=url, backend=url, set_as_current=False)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    worker_concurrency=settings.peer_processes or usable_cpus(),
    task_default_queue=QUEUE,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    # Answers are read once, at once: an hour is plenty, and they leave PEER_REDIS_DB by themselves.
    result_expires=3600,
)


@app.task(name=TASK)
def chunk(kernel: str, size: int, lo: int, hi: int) -> Answer:
    return run_chunk(kernel, size, lo, hi)


@worker_ready.connect
def _ready(sender: object, **_: object) -> None:
    """The consumer takes messages now: its prefork pool's processes, each a consumer of chunks."""
    pids = sender.pool.info["processes"]  # type: ignore[attr-defined]
    with redis.Redis.from_url(url) as connection:
        ready.mark(connection, PEER, pids)


def run_all(kernel: str, size: int, chunks: list[tuple[int, int]]) -> list[Answer]:
    """Every chunk sent as a task of one group; their answers, in order, once all are back."""
    sent = group(chunk.s(kernel, size, lo, hi) for lo, hi in chunks).apply_async()
    return [(count, histogram) for count, histogram in sent.get()]


def wait_ready(hosts: list[str], each: int, seconds: float) -> dict[str, int]:
    """Processes consuming per container, once each has `each` (services/peers/ready.py)."""
    return ready.wait_in_redis(url, PEER, hosts, each, seconds)

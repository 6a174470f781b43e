"""The Dramatiq broker and actor of the `dramatiq` profile's workers and driver, configured as Dramatiq's
docs advise for CPU-bound actors: worker processes for the cores, one thread each (start.py sizes them
from the container's quota; left to itself `dramatiq` starts the host's CPU count of processes, 8
threads each).

- Redis broker on PEER_REDIS_DB of the stack's Redis (ours is database 0), Dramatiq's own middleware
  (acks after the actor ran; its default prefetch, twice the threads: 2 messages per process), no retries
  (a wrong answer must show, not be run again), and the Results middleware on the same database: the
  driver collects every chunk's answer through it, as a Dramatiq client would.
"""

import os

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from services.peers import ready
from services.peers.chunks import Answer, run_chunk
from shared.settings import get_settings

PEER = "dramatiq"
QUEUE = "peers-dramatiq"
TASK = "peers.chunk"

settings = get_settings()
url = settings.peer_redis_url()


class Ready(Middleware):
    """Each worker process, once its consumer and thread run: it consumes now."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        with redis.Redis.from_url(url) as connection:
            ready.mark(connection, PEER, [os.getpid()])


results = RedisBackend(url=url)
broker = RedisBroker(url=url)
broker.add_middleware(Results(backend=results))
broker.add_middleware(Ready())
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name=TASK, queue_name=QUEUE, broker=broker, max_retries=0, store_results=True)
def chunk(kernel: str, size: int, lo: int, hi: int) -> Answer:
    return run_chunk(kernel, size, lo, hi)


def run_all(kernel: str, size: int, chunks: list[tuple[int, int]]) -> list[Answer]:
    """Every chunk sent as one message; their answers, in order, once all are back."""
    sent = [chunk.send(kernel, size, lo, hi) for lo, hi in chunks]
    # Blocking reads of each answer, up to JOB_TIMEOUT each (Dramatiq's timeouts are in milliseconds).
    timeout = settings.job_timeout * 1000
    return [tuple(m.get_result(backend=results, block=True, timeout=timeout)) for m in sent]


def wait_ready(hosts: list[str], each: int, seconds: float) -> dict[str, int]:
    """Processes consuming per container, once each has `each` (services/peers/ready.py)."""
    return ready.wait_in_redis(url, PEER, hosts, each, seconds)

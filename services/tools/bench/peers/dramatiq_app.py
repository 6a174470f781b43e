"""The Dramatiq broker and actor the bench's `dramatiq` processes load: Redis broker, stock middleware."""

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware

from services.tools.bench.peers import record
from services.tools.stack import host_settings


class Ready(Middleware):
    """Writes the ready file once the worker's consumers and threads run."""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        record.ready()


settings = host_settings()
broker = RedisBroker(url=settings.redis_url)
broker.add_middleware(Ready())
dramatiq.set_broker(broker)
dramatiq.actor(
    record.primes, actor_name=record.TASK, queue_name=settings.queue_name, broker=broker, max_retries=0
)

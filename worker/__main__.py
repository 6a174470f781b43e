"""Worker entry point: wait for Redis, start the warm pool, then take jobs with an RQ SimpleWorker.

SimpleWorker runs each job in this process, so every job reuses the pool created here; RQ's
default Worker forks a child per job, which could not use this process's pool (a forked child
has none of the pool's threads) and would pay ~24 ms per job for the fork.
"""

import logging
import os

from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from shared.redis_conn import connect
from shared.settings import get_settings
from worker import heartbeat, runtime

log = logging.getLogger("worker")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    connection = connect(settings.redis_url, settings.redis_wait_seconds)
    # The pool first: its processes must not be forked from a process that already runs threads.
    pool = runtime.start()
    log.info("warm pool: %d processes (%s)", pool.processes, pool.start_method)
    heartbeat.start(connection, runtime.host(), pool.processes)
    queue = Queue(settings.queue_name, connection=connection, serializer=JSONSerializer)
    worker = SimpleWorker(
        [queue],
        connection=connection,
        name=f"{runtime.host()}.{os.getpid()}",
        serializer=JSONSerializer,
    )
    try:
        worker.work(with_scheduler=False)
    finally:
        runtime.stop()


if __name__ == "__main__":
    main()

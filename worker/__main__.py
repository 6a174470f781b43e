"""Worker entry point: wait for Redis, start the warm pool, then take jobs with an RQ SimpleWorker.

WORKER_CLASS picks which: ours (`lean`, worker.queue.lean.LeanWorker) or stock RQ (`simple`,
rq.SimpleWorker unmodified), on the same queue, serializer, worker name and job functions.

SimpleWorker runs each job in this process, so every job reuses the pool created here; RQ's
default Worker forks a child per job, which could not use this process's pool (a forked child
has none of the pool's threads) and would pay ~24 ms per job for the fork.

Shutdown: on SIGTERM RQ finishes the current job first (compose's stop_grace_period is longer than
JOB_TIMEOUT), then the pool is stopped in bounded time even if it is broken (worker.pool.health).

WORKER_CONSUMERS > 1: this process only supervises that many such workers (worker.consumers).

Faults: worker.queue.reaper requeues the jobs of workers that died; worker.queue.retries says what is retried;
worker.queue.recovery rides out a Redis that refuses the worker (out of memory, away) instead of exiting.
"""

import logging
import sys

from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

from shared.redis_conn import connect
from shared.settings import get_settings
from worker import consumers, runtime
from worker.queue import heartbeat, reaper, recovery
from worker.queue.lean import LeanWorker, OwnEntries
from worker.queue.readiness import ReadyFile

log = logging.getLogger("worker")

# WORKER_CLASS -> the RQ worker class that takes jobs.
WORKER_CLASSES: dict[str, type[SimpleWorker]] = {"lean": LeanWorker, "simple": SimpleWorker}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # RQ logs a line or two per job at INFO: written, and shipped by the engine's log driver, on the
    # cores the jobs compute on. Off unless asked for, for our worker and stock RQ's alike.
    logging.getLogger("rq.worker").setLevel(get_settings().job_log_level)
    settings = get_settings()
    count = settings.worker_consumers or 1
    if count > 1 and not consumers.is_consumer():
        sys.exit(consumers.supervise(count))
    # Redis away or out of memory at start: back off and try again (worker.queue.recovery), unready.
    connection = recovery.persist(
        "connect to Redis",
        connect,
        settings.redis_connection_url(),
        settings.redis_wait_seconds,
        settings.redis_ride_out_seconds,
    )
    # The pool first: its processes must not be forked from a process that already runs threads.
    pool = runtime.start()
    log.info("warm pool: %d processes (%s)", pool.processes, pool.start_method)
    worker_class = WORKER_CLASSES[settings.worker_class]
    class_path = f"{worker_class.__module__}.{worker_class.__qualname__}"
    log.info("RQ worker class: %s", class_path)
    ready = ReadyFile(settings.ready_dir, runtime.worker_name())
    heartbeat.start(
        heartbeat.Worker(
            connection,
            runtime.host(),
            runtime.worker_name(),
            pool.processes,
            class_path,
            ready,
            runtime.pool_whole,
        )
    )
    queue = Queue(settings.queue_name, connection=connection, serializer=JSONSerializer)
    store = recovery.persist("connect the job store", runtime.store)
    reaper.start(connection, queue, store)
    # LeanWorker also begins and merges our own entries in its take and finish (worker.queue.lean).
    own = {"own": OwnEntries(runtime.host(), pool.processes, store)} if worker_class is LeanWorker else {}

    def make_worker() -> SimpleWorker:
        return worker_class(
            [queue], connection=connection, name=runtime.worker_name(), serializer=JSONSerializer, **own
        )

    try:
        recovery.keep_working(make_worker, with_scheduler=False)
    finally:
        ready.remove()
        runtime.stop()


if __name__ == "__main__":
    main()

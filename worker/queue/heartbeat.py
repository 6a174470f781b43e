"""The worker's self-report: its container's CPU use (cgroup accounting), pool size and work done.

A daemon thread writes `cpuc:worker:<hostname>` every HEARTBEAT_INTERVAL with a short expiry (so a dead
container disappears from GET /workers) and appends the CPU figure to a bounded time series.

The same beat keeps this process's liveness key `cpuc:alive:<RQ worker name>` (several worker processes
may share a hostname): when it expires, worker.queue.reaper requeues the jobs that worker was running.
"""

import json
import logging
import threading
import time

from redis import Redis
from redis.exceptions import RedisError

from shared.worker_reports import report_key, series_key
from worker import tasks
from worker.cgroup.quota import quota_cpus
from worker.cgroup.usage import CpuMeter

log = logging.getLogger(__name__)

# Seconds between reports; the record expires after a few missed ones.
HEARTBEAT_INTERVAL = 1.0
RECORD_TTL = 5
# Points kept in each worker's CPU series (10 minutes at one a second).
SERIES_LENGTH = 600
ALIVE_PREFIX = "cpuc:alive:"


def alive_key(worker_name: str) -> str:
    """Exists while the RQ worker of that name beats; gone RECORD_TTL seconds after it died."""
    return ALIVE_PREFIX + worker_name


def start(
    redis: Redis, host: str, worker_name: str, pool_processes: int, worker_class: str
) -> threading.Thread:
    """Mark this worker alive now (before it takes a job), then keep reporting in the background.

    `worker_class`: the RQ worker class taking jobs here (module.name), shown in GET /workers.
    """
    redis.set(alive_key(worker_name), host, ex=RECORD_TTL)
    thread = threading.Thread(
        target=_report_forever,
        args=(redis, host, worker_name, pool_processes, worker_class),
        name="heartbeat",
        daemon=True,
    )
    thread.start()
    return thread


def _report_forever(
    redis: Redis, host: str, worker_name: str, pool_processes: int, worker_class: str
) -> None:
    meter = CpuMeter()
    quota = quota_cpus()
    while True:
        time.sleep(HEARTBEAT_INTERVAL)
        cpu_percent, cpu_seconds = meter.read()
        now = time.time()
        record = {
            "host": host,
            "pool_processes": pool_processes,
            "worker_class": worker_class,
            "cpu_quota": quota,
            "cpu_percent": cpu_percent,
            "cpu_seconds": cpu_seconds,
            "jobs_done": tasks.completed["jobs"],
            "chunks_done": tasks.completed["chunks"],
            "updated_at": now,
        }
        try:
            pipe = redis.pipeline(transaction=False)
            pipe.set(report_key(host), json.dumps(record), ex=RECORD_TTL)
            pipe.set(alive_key(worker_name), host, ex=RECORD_TTL)
            if cpu_percent is not None:
                pipe.rpush(series_key(host), json.dumps([round(now, 3), round(cpu_percent, 2)]))
                pipe.ltrim(series_key(host), -SERIES_LENGTH, -1)
                pipe.expire(series_key(host), 3600)
            pipe.execute()
        except RedisError as exc:
            # Redis away for a moment: the next beat tries again.
            log.warning("heartbeat not written: %s", exc)

"""The worker's self-report: its container's CPU use and throttling (cgroup), network bytes, pool size and
work done.

A daemon thread in each worker process writes `cpuc:worker:<RQ worker name>` every HEARTBEAT_SECONDS
with a short expiry (so a dead process disappears from GET /workers); shared.worker_reports merges the
reports of one container's processes (WORKER_CONSUMERS may run several). One process per container, the
holder of a short lease, appends the container's CPU figure to its bounded time series.

The same beat keeps this process's liveness key `cpuc:alive:<RQ worker name>` (several worker processes
may share a hostname): when it expires, worker.queue.reaper requeues the jobs that worker was running.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker as RQWorker

from shared.cgroup.quota import quota_cpus
from shared.cgroup.throttling import container_throttling
from shared.cgroup.usage import CpuMeter
from shared.net.counters import namespace_bytes
from shared.redis_script import LuaScript, lua_file
from shared.settings import get_settings
from shared.worker_reports import report_key, series_key
from worker import tasks
from worker.queue import recovery, registration
from worker.queue.readiness import ReadyFile

log = logging.getLogger(__name__)

# Intervals, the liveness TTL and the series length are settings (shared/settings.py): a beat every
# second while the container computes, less often at rest, since the apparatus must cost next to
# nothing when there is nothing to measure; a job's start wakes a resting heartbeat at once.
ALIVE_PREFIX = "cpuc:alive:"
# Which process of a host appends to its CPU series: the lease holder, replaced LIVENESS_TTL after it stops.
SERIES_WRITER_PREFIX = "cpuc:series-writer:"
# The host's CPU series, appended by the lease holder only (heartbeat.lua). Sent whole with EVAL, not
# as a registered script: in a pipeline redis-py checks a registered script with an extra round trip
# (SCRIPT EXISTS) on every execute; Redis caches the body's compiled form.
_APPEND = LuaScript(
    lua_file(__file__, "heartbeat.lua"),
    ("lease", "series"),
    ("worker_name", "lease_ttl", "point", "length", "series_ttl"),
)


def alive_key(worker_name: str) -> str:
    """Exists while the RQ worker of that name beats; gone LIVENESS_TTL seconds after it died."""
    return ALIVE_PREFIX + worker_name


@dataclass(frozen=True)
class Worker:
    """The worker process a heartbeat reports on."""

    redis: Redis
    host: str  # its container's hostname
    name: str  # its RQ worker name
    pool_processes: int
    worker_class: str  # the RQ worker class taking jobs here (module.name), shown in GET /workers
    ready: ReadyFile  # refreshed while RQ knows this worker and `pool_whole()` holds
    pool_whole: Callable[[], bool]


def start(worker: Worker) -> threading.Thread:
    """Mark this worker alive now (before it takes a job), then keep reporting in the background."""
    recovery.persist(
        "mark the worker alive",
        worker.redis.set,
        alive_key(worker.name),
        worker.host,
        get_settings().liveness_ttl,
    )
    thread = threading.Thread(target=_report_forever, args=(worker,), name="heartbeat", daemon=True)
    thread.start()
    return thread


def _report_forever(worker: Worker) -> None:
    redis, host, worker_name, ready = worker.redis, worker.host, worker.name, worker.ready
    meter = CpuMeter()
    rq_key = RQWorker.redis_worker_namespace_prefix + worker_name
    quota = quota_cpus()
    settings = get_settings()
    ttl = settings.liveness_ttl
    is_ready = False
    interval = settings.heartbeat_seconds
    last_beat = time.monotonic()
    while True:
        woken = tasks.work_started.wait(interval)
        tasks.work_started.clear()
        if woken:
            # Never two beats within HEARTBEAT_SECONDS, however often jobs start.
            time.sleep(max(0.0, last_beat + settings.heartbeat_seconds - time.monotonic()))
        last_beat = time.monotonic()
        cpu_percent, cpu_seconds = meter.read()
        # Cumulative, container-wide (readers take differences); None where cgroups do not say.
        throttling = container_throttling()
        # The container's network bytes, cumulative (its namespace's interfaces; readers take differences).
        net = namespace_bytes()
        now = time.time()
        # Each second while the container computes; at rest less often, still twice within the TTL.
        busy = woken or cpu_percent is None or cpu_percent >= settings.heartbeat_busy_percent
        interval = settings.heartbeat_seconds if busy else settings.idle_heartbeat_seconds
        record = {
            "host": host,
            "worker": worker_name,
            "worker_class": worker.worker_class,
            "pool_processes": worker.pool_processes,
            "cpu_quota": quota,
            "cpu_percent": cpu_percent,
            "cpu_seconds": cpu_seconds,
            "cpu_periods": throttling.periods if throttling else None,
            "cpu_throttled_periods": throttling.throttled_periods if throttling else None,
            "cpu_throttled_seconds": throttling.throttled_seconds if throttling else None,
            "net_rx_bytes": net.rx if net else None,
            "net_tx_bytes": net.tx if net else None,
            "jobs_done": tasks.completed["jobs"],
            "chunks_done": tasks.completed["chunks"],
            "updated_at": now,
            # As of the previous beat: registered with RQ and the pool whole (what the healthcheck reads).
            "ready": is_ready,
        }
        try:
            pipe = redis.pipeline(transaction=False)
            pipe.set(report_key(worker_name), json.dumps(record), ex=ttl)
            pipe.set(alive_key(worker_name), host, ex=ttl)
            if cpu_percent is not None:
                point = json.dumps([round(now, 3), round(cpu_percent, 2)])
                _APPEND.eval(
                    pipe,
                    keys={"lease": SERIES_WRITER_PREFIX + host, "series": series_key(host)},
                    args={
                        "worker_name": worker_name,
                        "lease_ttl": ttl,
                        "point": point,
                        "length": settings.cpu_series_length,
                        "series_ttl": 3600,
                    },
                )
            # RQ's record of this worker, as `register_birth` wrote it (a heartbeat alone recreates
            # the hash without `birth`).
            pipe.hexists(rq_key, "birth")
            registered = pipe.execute()[-1]
            if not registered and not recovery.blocked():
                registered = registration.restore()
            # Not while it backs off from a Redis that refuses its writes (worker.queue.recovery).
            is_ready = bool(registered) and worker.pool_whole() and not recovery.blocked()
            ready.mark(is_ready, now)
        except RedisError as exc:
            # Redis away or out of memory: the next beat tries again; unready meanwhile.
            is_ready = False
            ready.mark(False, now)
            log.warning("heartbeat not written: %s", exc)

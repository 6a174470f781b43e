"""The worker process's long-lived parts: its warm Pool, started before RQ takes jobs, and its job store.

A pool that lost a process is never reused (worker.pool.health): `get()` replaces it with a fresh one.
"""

import logging
import os
import socket
import uuid

from shared.cgroup.quota import usable_cpus
from shared.job_store import JobStore
from shared.redis_conn import connect
from shared.settings import get_settings
from worker.pool.warm import WarmPool

log = logging.getLogger(__name__)

_pool: WarmPool | None = None
_store: JobStore | None = None
# Unique per process start: a restarted container has the same hostname and, under tini, the same
# pid, and must not take the name (and so the liveness) of the worker that died in it.
_worker_name = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"


def pool_size() -> int:
    """Pool processes: the POOL_PROCESSES setting, else the container's CPU quota."""
    return get_settings().pool_processes or usable_cpus()


def start() -> WarmPool:
    """Create the warm pool (idempotent). Call before any thread starts, and before any job."""
    global _pool
    if _pool is None:
        _pool = WarmPool(pool_size(), get_settings().pool_start_method)
    return _pool


def get() -> WarmPool:
    """The warm pool, replaced first if it lost a process; started now if this process never started it."""
    global _pool
    if _pool is not None and not _pool.usable:
        log.warning("pool lost a process: replacing it")
        _pool.close()
        _pool = None
    return _pool if _pool is not None else start()


def pool_whole() -> bool:
    """Whether the warm pool exists and has every process it started with (for readiness)."""
    return _pool is not None and _pool.usable


def store() -> JobStore:
    """The job store, on this process's own Redis connection."""
    global _store
    if _store is None:
        settings = get_settings()
        redis = connect(
            settings.redis_connection_url(), settings.redis_wait_seconds, settings.redis_ride_out_seconds
        )
        _store = JobStore(redis, settings.result_ttl)
    return _store


def host() -> str:
    """This container's hostname: how results name the container that did the work."""
    return socket.gethostname()


def worker_name() -> str:
    """This process's RQ worker name, also the name its liveness key carries (worker.queue.heartbeat)."""
    return _worker_name


def stop() -> None:
    """Stop the pool processes (bounded in time, even for a broken pool)."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None

"""The worker process's long-lived parts: its warm Pool, started before RQ takes jobs, and its job store."""

import socket

from shared.job_store import JobStore
from shared.redis_conn import connect
from shared.settings import get_settings
from worker.cpu_quota import usable_cpus
from worker.pool import WarmPool

_pool: WarmPool | None = None
_store: JobStore | None = None


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
    """The warm pool; started now if this process never started it (e.g. under plain `rq worker`)."""
    return _pool if _pool is not None else start()


def store() -> JobStore:
    """The job store, on this process's own Redis connection."""
    global _store
    if _store is None:
        settings = get_settings()
        _store = JobStore(connect(settings.redis_url, settings.redis_wait_seconds), settings.result_ttl)
    return _store


def host() -> str:
    """This container's hostname: how results name the container that did the work."""
    return socket.gethostname()


def stop() -> None:
    """Stop the pool processes."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None

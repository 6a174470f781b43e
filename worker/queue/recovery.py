"""Riding out a Redis that refuses the worker: back off, stay unready meanwhile, resume alone.

Redis refuses a write when it is out of memory (`OutOfMemoryError`: with volatile-lru that means what
cannot be evicted fills it) and answers nothing while it is away longer than the connection's ride-out
(shared/redis_conn.py). A worker that met either at its start, in RQ's loop or at a job's end used to
exit and be restarted by Docker, again and again: a crash loop that held accepted work. Instead:

- `persist(what, fn)` calls `fn` again, with exponential back-off (tenacity), while Redis refuses it,
  for up to REDIS_RECOVERY_SECONDS; the worker start-up and the writes that end a job go through it, so
  an accepted job's end is written once Redis takes writes again, never dropped.
- `keep_working` runs RQ's work loop, and starts it again after a back-off when it quits on an error
  (RQ logs it and returns) rather than on a stop request.
- While either backs off, `blocked()` is true: the heartbeat then removes the ready file
  (worker/queue/readiness.py), so the container's healthcheck says unhealthy until it works again.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rq import SimpleWorker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from shared.redis_conn import RedisUnavailable
from shared.settings import get_settings
from worker.queue import registration

log = logging.getLogger(__name__)
T = TypeVar("T")

# What waiting fixes: Redis out of memory, away, or still loading its data (a ConnectionError).
REFUSALS = (
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    RedisUnavailable,
)
# Longest wait between two tries (the first ones come sooner: 0.1 s, 0.2 s, ...).
BACKOFF_MAX = 5.0
# An RQ loop that ran this long before it quit was working: its failure starts a new streak, whose
# REDIS_RECOVERY_SECONDS count from then.
HEALTHY_RUN = 60.0

_blocked = threading.Event()


class WorkLoopQuit(RuntimeError):
    """RQ's work loop returned without a stop request: it met an error (which RQ logged)."""


def blocked() -> bool:
    """Whether this process is backing off from a Redis that refuses it (it must not look ready)."""
    return _blocked.is_set()


def _waiting(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        _blocked.set()
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: Redis refuses (%s: %s); unready, trying again in %.1f s",
            what,
            type(error).__name__,
            error,
            state.upcoming_sleep,
        )

    return before_sleep


def _retrying(what: str, stop: Any = None) -> Retrying:
    return Retrying(
        stop=stop or stop_after_delay(get_settings().redis_recovery_seconds),
        wait=wait_exponential(multiplier=0.1, max=BACKOFF_MAX),
        retry=retry_if_exception_type(REFUSALS),
        before_sleep=_waiting(what),
        reraise=True,
    )


def persist(what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, tried again while Redis refuses it; its error after REDIS_RECOVERY_SECONDS.

    The first try is a plain call: a chunk's finish goes through here once per queue entry, and building
    tenacity's retry state for a write that Redis takes at once cost ~20 µs of a ~0.8 ms chunk. Only a
    refusal hands `fn` to tenacity, whose first try follows at once and whose back-off starts after it.
    """
    try:
        return fn(*args, **kwargs)
    except REFUSALS as refused:
        log.warning("%s: Redis refuses (%s: %s); trying again", what, type(refused).__name__, refused)
    try:
        return _retrying(what)(fn, *args, **kwargs)
    finally:
        _blocked.clear()


def stop_requested(worker: SimpleWorker) -> bool:
    """Whether RQ's loop returned because it was asked to stop (SIGTERM, SIGINT), not on an error.

    RQ's own record of it, private: its signal handler stamps the request before it stops the loop,
    idle or busy (tests/worker/queue/test_recovery.py fails if RQ changes that).
    """
    return worker._shutdown_requested_date is not None


def keep_working(make_worker: Callable[[], SimpleWorker], **work: Any) -> None:
    """Run RQ's work loop until a stop request; a loop that quits on an error starts again after a
    back-off, with a fresh worker of the same name (the old one's registration ended first)."""
    streak_start = time.monotonic()

    def stop(state: RetryCallState) -> bool:
        return time.monotonic() - streak_start > get_settings().redis_recovery_seconds

    def run() -> None:
        nonlocal streak_start
        _blocked.clear()
        started = time.monotonic()
        worker = make_worker()
        registration.track(worker)
        try:
            worker.work(**work)
        except REFUSALS:
            registration.track(None)
            persist("end the worker's registration", worker.register_death)
            raise
        finally:
            registration.track(None)
            if time.monotonic() - started >= HEALTHY_RUN:
                streak_start = time.monotonic()
        if stop_requested(worker):
            return
        persist("end the worker's registration", worker.register_death)
        raise WorkLoopQuit(f"RQ's work loop of {worker.name} quit on an error")

    retrying = _retrying("RQ's work loop", stop)
    retrying.retry = retry_if_exception_type((*REFUSALS, WorkLoopQuit))
    try:
        retrying(run)
    finally:
        _blocked.clear()

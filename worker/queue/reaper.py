"""Requeue the jobs of a worker that died mid-job, within seconds instead of RQ's minutes.

RQ notices an abandoned job only once its execution's TTL has run out: the job timeout plus 60 s for a
SimpleWorker. Here every worker keeps a liveness key that expires LIVENESS_TTL seconds after its last
beat (worker.queue.heartbeat); a job in the StartedJobRegistry whose worker has no liveness key was abandoned.
The reaper, a thread in every worker, expires such executions at once and hands them to RQ's own
clean-up of abandoned jobs, which retries each one (or fails it once its retries are used up: the
policy is worker/queue/retries.py); our job record follows. A re-run chunk is never counted twice (the
merge refuses a chunk already merged) and a re-run local job writes the same answer.

Every worker runs a reaper: a sweep holds RQ's registry-cleaning lock, with a short expiry, so that only
one reaper, or RQ's own maintenance, cleans the registry at a time.
"""

import contextlib
import logging
import threading
import time

from redis import Redis
from redis.exceptions import LockError, RedisError
from rq import Queue
from rq.executions import Execution
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job, JobStatus
from rq.utils import str_to_date

from shared.job_store import JobStore
from shared.redis_script import LuaScript, lua_file
from shared.settings import get_settings
from worker.queue.heartbeat import alive_key

log = logging.getLogger(__name__)

# REAPER_SWEEP_SECONDS with LIVENESS_TTL bounds how long a dead worker's job waits (shared/settings.py).
# Seconds a sweep may hold the registry-cleaning lock (a reaper killed mid-sweep frees it this late).
LOCK_SECONDS = 10
STUCK_PREFIX = "cpuc:intermediate-seen:"
# A stuck id back to the front of its queue, if still stuck (reaper.lua); EVAL, as a rare one-off.
_MOVE_BACK = LuaScript(lua_file(__file__, "reaper.lua"), ("intermediate", "queue"), ("id",))

# A score no live execution has (live ones expire in the future): marks the executions to clean now.
_REAPED = 0


def start(redis: Redis, queue: Queue, store: JobStore) -> threading.Thread:
    """Sweep every REAPER_SWEEP_SECONDS in the background; the thread dies with the process."""
    thread = threading.Thread(target=_sweep_forever, args=(redis, queue, store), name="reaper", daemon=True)
    thread.start()
    return thread


def _sweep_forever(redis: Redis, queue: Queue, store: JobStore) -> None:
    while True:
        time.sleep(get_settings().reaper_sweep_seconds)
        try:
            sweep(redis, queue, store)
        except RedisError as exc:
            log.warning("reaper sweep skipped: %s", exc)
        except Exception:
            log.exception("reaper sweep failed")


def sweep(redis: Redis, queue: Queue, store: JobStore) -> list[str]:
    """Requeue (or fail, with no retries left) the jobs whose worker is dead; their RQ job ids."""
    if not _anything_started(redis, queue):
        return []
    lock = redis.lock(queue.registry_cleaning_key, timeout=LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        return []
    try:
        registry = queue.started_job_registry
        abandoned = [e for e in _executions(redis, registry) if _abandoned(redis, e)]
        jobs = Job.fetch_many([e.job_id for e in abandoned], connection=redis, serializer=queue.serializer)
        for execution, job in zip(abandoned, jobs, strict=True):
            if job is not None and job.get_status(refresh=False) == JobStatus.STARTED:
                _record(store, execution, job)
        if abandoned:
            # RQ's clean-up takes the executions that expired by `timestamp`: expire ours now.
            redis.zadd(registry.key, {e.composite_key: _REAPED for e in abandoned}, xx=True)
            registry.cleanup(timestamp=_REAPED)
            log.warning("requeued jobs of dead workers: %s", [e.job_id for e in abandoned])
        return [e.job_id for e in abandoned] + _rescue_intermediate(redis, queue)
    finally:
        # LockError: the lock expired during a very slow sweep; someone else may hold it now.
        with contextlib.suppress(LockError):
            lock.release()


def _anything_started(redis: Redis, queue: Queue) -> bool:
    """Whether any job is started or taken: one round trip, so an idle stack's sweeps cost ~nothing."""
    pipe = redis.pipeline(transaction=False)
    pipe.zcard(queue.started_job_registry.key)
    pipe.llen(queue.intermediate_queue_key)
    return any(pipe.execute())


def _rescue_intermediate(redis: Redis, queue: Queue) -> list[str]:
    """Hand back jobs stuck between dequeue and start: their ids, moved to the front of the queue.

    RQ dequeues by moving a job id into an intermediate list, then starts it. A worker stopped in
    between (a SIGTERM that lands during the move) leaves the id there; RQ's own clean-up waits for its
    maintenance, minutes later. A live worker starts a job within milliseconds of taking it, so an id
    seen there for STUCK_SECONDS (a setting), and still not started, was abandoned.
    """
    intermediate = IntermediateQueue(queue.key, redis)
    started = set(queue.started_job_registry.get_job_ids(cleanup=False))
    rescued = []
    for job_id in intermediate.get_job_ids():
        if job_id in started:
            continue
        seen_key = f"{STUCK_PREFIX}{job_id}"
        if redis.set(seen_key, time.time(), nx=True, ex=3600):
            continue  # first seen now
        if time.time() - float(redis.get(seen_key) or time.time()) < get_settings().stuck_seconds:
            continue
        redis.delete(seen_key)
        # Atomic: the id moves only if it is still in the intermediate list (not started meanwhile).
        moved = _MOVE_BACK.eval(
            redis, keys={"intermediate": intermediate.key, "queue": queue.key}, args={"id": job_id}
        )
        if moved:
            rescued.append(job_id)
    if rescued:
        log.warning("requeued jobs stuck between dequeue and start: %s", rescued)
    return rescued


def _executions(redis: Redis, registry) -> list[Execution]:
    """The executions the registry lists. One whose hash is gone while its entry stays (the hash has a
    TTL, and Redis at its maxmemory evicts such keys first: volatile-lru) is read from its job's hash
    instead: its worker and start, as the take wrote them. Left alone, such an entry would wait for RQ's
    own clean-up, minutes after its score (the job's timeout) ran out. A job that ended while we looked
    says so in its status (the sweep requeues only started ones) and has left the registry."""
    found = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            found.append(Execution.fetch(execution_id, job_id, redis))
        except ValueError:
            worker_name, started_at = redis.hmget(Job.key_for(job_id), ("worker_name", "started_at"))
            if not worker_name or not started_at:
                continue
            execution = Execution(execution_id, job_id, connection=redis, worker_name=worker_name.decode())
            execution.created_at = str_to_date(started_at)
            found.append(execution)
    return found


def _abandoned(redis: Redis, execution: Execution) -> bool:
    # Only once older than the liveness TTL: its worker has beaten at least once by then.
    old_enough = time.time() - execution.created_at.timestamp() >= get_settings().liveness_ttl
    return old_enough and bool(execution.worker_name) and not redis.exists(alive_key(execution.worker_name))


def _record(store: JobStore, execution: Execution, job: Job) -> None:
    """Bring our job record along, before RQ's clean-up requeues the job (so a new run finds it queued):
    through the store's requeue or end, which keep to shared.job_status's table (where RQ's statuses
    are mapped onto ours)."""
    job_id = str(job.args[0])  # local jobs: the job's own id; chunks: "<job id>-<index>"
    error = f"WorkerLost: worker {execution.worker_name} stopped beating while running {job.id}"
    if job.retries_left:
        store.requeued(job_id, error, whole_job=job.id == job_id)
    else:
        store.fail(job_id, error + " (no retries left)", "")

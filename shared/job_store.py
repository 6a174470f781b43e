"""A job's record in Redis: status, progress, the aggregate answer, where it ran. One job, one hash.

Every mode writes the same record, so the API reads one shape whatever ran the job:
- `local`: the worker sets the progress as its pool reports chunks, then writes the answer once.
- `distributed` / `hybrid`: each chunk job merges its partial answer with `merge_chunk`, a Lua script
  that Redis runs atomically: the cross-container analogue of the pool's Lock. A chunk already merged
  is refused, so a chunk that runs twice (a retry after a crash) is never counted twice.

A job ends (finished, failed, canceled) only inside a Lua script here, which in the same atomic step
adds one entry to the job's `ended` stream: `wait_ended` blocks on that stream (one XREAD BLOCK)
instead of polling the record, and every reader blocked on it is woken at once. The same step releases
the job's share of the admission bound (services/api/admission.py) and publishes its id on ENDED_CHANNEL,
which the API's one subscription per process turns into the wake-up of its watchers (services/api/watch.py).
"""

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from shared.chunking import ChunkPlan
from shared.settings import get_settings
from shared.tally import BINS, Tally

PREFIX = "cpuc:job:"
ACTIVE = ("queued", "started")
# Where a job ends: the one list of terminal statuses.
ENDED = ("finished", "failed", "canceled")
# Sorted set of job ids by creation time, newest kept: the dashboard's list of recent jobs.
RECENT = "cpuc:jobs:recent"
# RECENT_JOBS (a setting) ids are kept in RECENT; older ones are trimmed as new jobs arrive (their
# records live on until their TTL).
# Longest wait_ended allowed: the blocking client's socket timeout must outlast it (shared.redis_conn).
WAIT_MAX_SECONDS = 60
# Every job's end is published here (its id), in the atomic step that ends it.
ENDED_CHANNEL = "cpuc:jobs:ended"
# The work accepted and not yet ended (services/api/admission.py): queue entries, and work units. A job's
# record holds its share (ADMITTED_FIELDS), which its end takes off again in the same atomic step.
ADMITTED_ENTRIES = "cpuc:admitted:entries"
ADMITTED_UNITS = "cpuc:admitted:units"
ADMITTED_FIELDS = ("admitted_entries", "admitted_units")

# The last lines of both steps that end a job (KEYS[1]: its record). The counters and the channel are
# the same for every job, so they are not passed as KEYS (a single Redis, no cluster slots to declare).
_ON_END = f"""
local ending = redis.call('HMGET', KEYS[1], 'id', '{ADMITTED_FIELDS[0]}', '{ADMITTED_FIELDS[1]}')
if ending[2] then
  redis.call('DECRBY', '{ADMITTED_ENTRIES}', ending[2])
  redis.call('DECRBY', '{ADMITTED_UNITS}', ending[3])
end
redis.call('PUBLISH', '{ENDED_CHANNEL}', ending[1])
""".strip()

_MERGE_CHUNK = f"""
local status = redis.call('HGET', KEYS[1], 'status')
if status == false then return -3 end
if status == 'canceled' or status == 'failed' then return -2 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return -1 end
redis.call('HINCRBY', KEYS[1], 'count', ARGV[2])
for i = 0, 9 do redis.call('HINCRBY', KEYS[1], 'h' .. i, ARGV[3 + i]) end
redis.call('HINCRBYFLOAT', KEYS[1], 'cpu_seconds', ARGV[13])
redis.call('HINCRBY', KEYS[3], ARGV[14], 1)
for i = 17, #ARGV do redis.call('SADD', KEYS[4], ARGV[14] .. ':' .. ARGV[i]) end
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], ARGV[16]) end
local done = redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
if done >= tonumber(redis.call('HGET', KEYS[1], 'chunks_total')) then
  redis.call('HSET', KEYS[1], 'status', 'finished', 'ended_at', ARGV[15])
  redis.call('XADD', KEYS[5], 'MAXLEN', 1, '*', 'status', 'finished')
  redis.call('EXPIRE', KEYS[5], ARGV[16])
{_ON_END}
end
return done
"""

# Atomic, so that a cancel between the check and the write is never overwritten by "started". Returns
# {1, spec} when the job may run, {0, status} when it has ended, {-1} when its record is gone.
_BEGIN = """
local status = redis.call('HGET', KEYS[1], 'status')
if status == false then return {-1} end
if status ~= 'queued' and status ~= 'started' then return {0, status} end
redis.call('HSETNX', KEYS[1], 'started_at', ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'status', 'started')
return {1, redis.call('HGET', KEYS[1], 'spec')}
"""

# A run of the job failed and RQ will run it again (worker.queue.retries): note why; a whole (local) job
# goes back to queued, with no progress, while a chunk's job stays started (its other chunks run on).
_REQUEUED = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'started' then return 0 end
redis.call('HINCRBY', KEYS[1], 'retries', 1)
redis.call('HSET', KEYS[1], 'last_error', ARGV[1])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'status', 'queued', 'chunks_done', 0) end
return 1
"""

# Ending a job (finished, failed, canceled) only ever changes an active one, atomically: a late
# failure never hides an answer, a cancel never loses a race with the answer. -1: no such job.
# A finished local job also credits its chunks to the container that ran them (KEYS[2], ARGV[1..3]),
# in the same step, so no reader sees "finished" without "where". The new status (ARGV[4]) also goes to
# the job's ended stream (KEYS[3]), which wakes every wait_ended; ARGV[5..] are more fields to set.
_END_IF_ACTIVE = f"""
local status = redis.call('HGET', KEYS[1], 'status')
if status == false then return -1 end
if status ~= 'queued' and status ~= 'started' then return 0 end
if ARGV[1] ~= '' then
  redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
redis.call('HSET', KEYS[1], 'status', ARGV[4], unpack(ARGV, 5))
redis.call('XADD', KEYS[3], 'MAXLEN', 1, '*', 'status', ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[3])
{_ON_END}
return 1
"""


@dataclass(frozen=True)
class JobKeys:
    """The Redis keys of one job."""

    record: str
    merged: str  # set of chunk indexes already merged
    hosts: str  # hash: container hostname -> chunks it ran
    pids: str  # set of "hostname:pid" of the processes that ran chunks
    ended: str  # stream of one entry, {status}, added in the step that ends the job (wait_ended)

    @classmethod
    def of(cls, job_id: str) -> "JobKeys":
        base = PREFIX + job_id
        return cls(base, base + ":merged", base + ":hosts", base + ":pids", base + ":ended")

    def all(self) -> tuple[str, ...]:
        return (self.record, self.merged, self.hosts, self.pids, self.ended)


class JobStore:
    """Reads and writes job records.

    `blocking` is the client that `wait_ended` blocks on: one whose socket timeout outlasts
    WAIT_MAX_SECONDS and that never retries (shared.redis_conn.connect_blocking). Only waiters need it.
    """

    def __init__(self, redis: Redis, ttl_seconds: int, blocking: Redis | None = None) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.blocking = blocking
        self._merge = redis.register_script(_MERGE_CHUNK)
        self._begin = redis.register_script(_BEGIN)
        self._requeued = redis.register_script(_REQUEUED)
        self._end = redis.register_script(_END_IF_ACTIVE)

    def create(
        self,
        job_id: str,
        spec: dict[str, Any],
        mode: str,
        chunks_total: int,
        chunking: ChunkPlan | None,
        pipeline: Any = None,
    ) -> None:
        """A new queued job; `chunks_total` is 0 (and `chunking` None) until a local worker has chosen."""
        keys = JobKeys.of(job_id)
        pipe = pipeline if pipeline is not None else self.redis.pipeline()
        pipe.hset(
            keys.record,
            mapping={
                "id": job_id,
                "spec": json.dumps(spec),
                "mode": mode,
                "status": "queued",
                "chunks_total": chunks_total,
                "chunks_done": 0,
                "chunk_size": chunking.size if chunking else 0,
                "chunking": _chunking_name(chunking),
                "count": 0,
                **{f"h{i}": 0 for i in range(BINS)},
                "cpu_seconds": 0.0,
                "created_at": time.time(),
            },
        )
        # The helper keys exist only once written to; expire them all the same (re-set as they fill).
        pipe.expire(keys.record, self.ttl)
        pipe.zadd(RECENT, {job_id: time.time()})
        pipe.zremrangebyrank(RECENT, 0, -get_settings().recent_jobs - 1)
        pipe.expire(RECENT, self.ttl)
        if pipeline is None:
            pipe.execute()

    def recent(self, limit: int | None = None) -> list[str]:
        """Ids of the latest `limit` (RECENT_JOBS) jobs submitted, newest first (records may have expired)."""
        limit = get_settings().recent_jobs if limit is None else limit
        return [i.decode() for i in self.redis.zrevrange(RECENT, 0, limit - 1)] if limit > 0 else []

    def status(self, job_id: str) -> str | None:
        value = self.redis.hget(JobKeys.of(job_id).record, "status")
        return value.decode() if value is not None else None

    def begin(self, job_id: str, host: str, pool_processes: int) -> tuple[dict[str, Any] | None, str]:
        """Record that a worker began (first start wins) and read the job's request, in one step.

        Returns (spec, "started"), or (None, status) if the job has ended (canceled, failed, finished);
        LookupError if the record is gone (expired).
        """
        keys = JobKeys.of(job_id)
        reply = self._begin(keys=[keys.record], args=["pool:" + host, pool_processes, time.time()])
        if reply[0] == -1:
            raise LookupError(f"job {job_id} has no record (expired or deleted)")
        if reply[0] == 0:
            return None, reply[1].decode()
        return json.loads(reply[1]), "started"

    def set_chunking(self, job_id: str, chunks_total: int, chunking: ChunkPlan) -> None:
        self.redis.hset(
            JobKeys.of(job_id).record,
            mapping={
                "chunks_total": chunks_total,
                "chunk_size": chunking.size,
                "chunking": _chunking_name(chunking),
            },
        )

    def set_progress(self, job_id: str, chunks_done: int) -> None:
        self.redis.hset(JobKeys.of(job_id).record, "chunks_done", chunks_done)

    def record_pids(self, job_id: str, host: str, pids: list[int]) -> None:
        keys = JobKeys.of(job_id)
        if pids:
            pipe = self.redis.pipeline()
            pipe.sadd(keys.pids, *(f"{host}:{pid}" for pid in pids))
            pipe.expire(keys.pids, self.ttl)
            pipe.execute()

    def finish_local(self, job_id: str, tally: Tally, cpu_seconds: float, host: str, chunks: int) -> bool:
        """Write a local job's whole answer at once; False (nothing written) if it ended meanwhile."""
        return bool(
            self._end_job(
                job_id,
                "finished",
                credit=(host, chunks),
                count=tally.count,
                **{f"h{i}": n for i, n in enumerate(tally.histogram)},
                cpu_seconds=cpu_seconds,
                chunks_done=chunks,
            )
        )

    def _end_job(
        self, job_id: str, status: str, credit: tuple[str, int] | None = None, **fields: Any
    ) -> bool | None:
        """End an active job with this status and fields: True; False if it had ended; None if unknown.

        `credit` = (hostname, chunks) records where the work ran, in the same atomic step.
        """
        keys = JobKeys.of(job_id)
        host, chunks = credit or ("", 0)
        args: list[Any] = [host, chunks, self.ttl, status, "ended_at", time.time()]
        for name, value in fields.items():
            args += [name, value]
        result = int(self._end(keys=[keys.record, keys.hosts, keys.ended], args=args))
        return None if result < 0 else bool(result)

    def merge_chunk(
        self, job_id: str, index: int, tally: Tally, cpu_seconds: float, host: str, pids: Sequence[int] = ()
    ) -> int:
        """Merge one chunk, and note the processes that ran it, in one atomic step.

        Returns the chunks done so far, -1 if this chunk was already merged, -2 if the job was canceled or
        failed, -3 if its record is gone.
        """
        keys = JobKeys.of(job_id)
        result = self._merge(
            keys=[keys.record, keys.merged, keys.hosts, keys.pids, keys.ended],
            args=[index, tally.count, *tally.histogram, cpu_seconds, host, time.time(), self.ttl, *pids],
        )
        return int(result)

    def fail(self, job_id: str, error: str, traceback: str) -> bool:
        """Mark an active job failed with its error; False (nothing written) if it had already ended."""
        return bool(self._end_job(job_id, "failed", error=error, traceback=traceback))

    def requeued(self, job_id: str, error: str, whole_job: bool) -> bool:
        """Note a failed run that RQ will retry; a whole job goes back to queued. False if it had ended."""
        keys = JobKeys.of(job_id)
        return bool(self._requeued(keys=[keys.record], args=[error, "1" if whole_job else "0"]))

    def cancel(self, job_id: str) -> str | None:
        """Cancel a queued or started job; returns its status afterwards (None if unknown)."""
        ended = self._end_job(job_id, "canceled")
        if ended is None:
            return None
        return "canceled" if ended else self.status(job_id)

    def wait_ended(self, job_id: str, seconds: float) -> dict[str, Any] | None:
        """The job as `read` shows it, once it has ended or after `seconds` (at most WAIT_MAX_SECONDS).

        No polling: one read, then (if the job is still active) one XREAD BLOCK on its ended stream,
        then one more read. The stream is read from id 0, so an end signalled between the first read
        and the block returns at once: no end is missed.
        """
        if not 0 <= seconds <= WAIT_MAX_SECONDS:
            raise ValueError(f"wait {seconds!r}s: allowed 0 to {WAIT_MAX_SECONDS}s")
        view = self.read(job_id)
        if view is None or view["status"] not in ACTIVE or seconds == 0:
            return view
        if self.blocking is None:
            raise RuntimeError(
                "JobStore.wait_ended needs a blocking client (shared.redis_conn.connect_blocking)"
            )
        # BLOCK 0 would mean forever: any wait above 0 blocks at least 1 ms.
        self.blocking.xread({JobKeys.of(job_id).ended: 0}, count=1, block=max(1, math.ceil(seconds * 1000)))
        # The record may have expired during the wait (TTL): then the view read before stands.
        return self.read(job_id) or view

    def read(self, job_id: str) -> dict[str, Any] | None:
        """The job as the API shows it, or None if unknown."""
        return self.view(*_reading(self.redis, job_id).execute())

    @staticmethod
    def view(raw: dict, hosts: dict, pids: set) -> dict[str, Any] | None:
        """The job as the API shows it, from the replies of `_reading`; None if it has no record."""
        if not raw:
            return None
        record = {k.decode(): v.decode() for k, v in raw.items()}
        spec = json.loads(record["spec"])
        status = record["status"]
        done, total = int(record["chunks_done"]), int(record["chunks_total"])
        times = {
            name: float(record[name]) if name in record else None
            for name in ("created_at", "started_at", "ended_at")
        }
        view: dict[str, Any] = {
            "id": record["id"],
            "status": status,
            "mode": record["mode"],
            "kernel": spec["kernel"],
            "params": spec["params"],
            "chunk_size": int(record["chunk_size"]) or None,
            "chunking": record.get("chunking") or None,
            "progress": {
                "chunks_done": done,
                "chunks_total": total,
                "percent": round(100 * done / total, 1) if total else 0.0,
            },
            "result": None,
            "hosts": {h.decode(): int(n) for h, n in hosts.items()},
            "pool_processes": {k[5:]: int(v) for k, v in record.items() if k.startswith("pool:")},
            "pids": sorted(p.decode() for p in pids),
            "cpu_seconds": float(record["cpu_seconds"]),
            **times,
            "queue_seconds": _span(times["created_at"], times["started_at"]),
            "run_seconds": _span(times["started_at"], times["ended_at"]),
            # While a retried job waits or runs again, its error says why the last run failed.
            "error": record.get("error") or (_retried(record) if status in ACTIVE else None),
            "traceback": record.get("traceback"),
        }
        if status == "finished":
            histogram = [int(record[f"h{i}"]) for i in range(BINS)]
            view["result"] = {"count": int(record["count"]), "histogram": histogram}
            if spec["kernel"] == "pi":
                view["result"]["estimate"] = 4 * int(record["count"]) / spec["params"]["samples"]
        return view


async def read_async(redis: AsyncRedis, job_id: str) -> dict[str, Any] | None:
    """`JobStore.read` on an asyncio client: the API's waits (services/api/watch.py) take no thread."""
    return JobStore.view(*await _reading(redis, job_id).execute())


def _reading(redis: Any, job_id: str) -> Any:
    """A pipeline (sync or asyncio) of the reads that `JobStore.view` takes, not yet executed."""
    keys = JobKeys.of(job_id)
    pipe = redis.pipeline()
    pipe.hgetall(keys.record)
    pipe.hgetall(keys.hosts)
    pipe.smembers(keys.pids)
    return pipe


def _chunking_name(chunking: ChunkPlan | None) -> str:
    """How the record says who chose the chunk size: auto, fixed, or '' (not chosen yet)."""
    return "" if chunking is None else "auto" if chunking.auto else "fixed"


def _span(start: float | None, end: float | None) -> float | None:
    return end - start if start is not None and end is not None else None


def _retried(record: dict[str, str]) -> str | None:
    """Why a retried job runs again, or None if it never failed."""
    if "retries" not in record:
        return None
    return f"retried {record['retries']}x after: {record.get('last_error', '?')}"

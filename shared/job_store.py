"""A job's record in Redis: status, progress, the aggregate answer, where it ran. One job, one hash.

Storage only: what the API shows of a record is built in services/api (JobView.from_record).

Every mode writes the same record:
- `local`: the worker sets the progress as its pool reports tasks, then writes the answer once.
- `distributed` / `hybrid`: each chunk job merges its partial answer with `merge_chunk`, a Lua script
  that Redis runs atomically: the cross-container analogue of the pool's Lock. A chunk already merged
  is refused, so a chunk that runs twice (a retry after a crash) is never counted twice. Each chunk
  (count, histogram, CPU seconds, where it ran) waits in the job's merged hash (one command per chunk);
  the last chunk folds them into the record as it ends the job. A job of one chunk has no merged hash:
  its chunk ends it at once.

Every status change is one of shared.job_status's TRANSITIONS, checked inside the script that makes it.
A job ends (finished, failed, canceled) in one place, the Lua function `end_job` (job_store_prelude.lua:
the end script and the last chunk's merge both call it), which in the same atomic step counts it
(shared.job_metrics), releases its share of the admission bound (services/api/admission.py) and
publishes its id on ENDED_CHANNEL, which the API's one subscription per process turns into the wake-up
of its watchers (services/api/watch.py).

A worker's end-of-job step (a chunk's merge, a local job's finish) also appends the execution to the
EXECUTIONS stream, in the same atomic step, whether it took effect or not (a chunk merged already), and
every job's end (id, status, count) goes there too: the history a checker reads
(services/tools/history), not the workers' logs, which still proves a job ended after its record was
trimmed or evicted.
Memory: the keys of work not yet ended carry no expiry, so Redis's `volatile-lru` policy
(docker-compose.yml) can never evict them; `end_job` compacts the record (its merged hash and its
admitted share are dead once it ended), gives it RESULT_TTL (where the job ran is in the record itself,
so one key holds all that is kept), and appends its id to ENDED_IDS, a list of ended ids oldest first.
It then trims the oldest ended records, a few per call (bounded work), while more than MAX_ENDED_JOBS
are kept or while Redis uses more than ENDED_TRIM_MEMORY_SHARE of its maxmemory: finished records stay
below the share at which admission refuses new work, so they can never hold the API at 429.
"""

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from shared import job_metrics, job_status
from shared.job_status import CANCELED, ENDED, FAILED, FINISHED
from shared.redis_script import NamedScript, lua_file
from shared.settings import get_settings
from shared.tally import BINS, Tally

PREFIX = "cpuc:job:"
# Sorted set of job ids by creation time, newest kept: the dashboard's list of recent jobs.
RECENT = "cpuc:jobs:recent"
# RECENT_JOBS (a setting) ids are kept in RECENT; older ones are trimmed as new jobs arrive (their
# records live on until their TTL).
# Every job's end is published here (its id), in the atomic step that ends it.
ENDED_CHANNEL = "cpuc:jobs:ended"
# The work accepted and not yet ended (services/api/admission.py): queue entries, and work units. A job's
# record holds its share (ADMITTED_FIELDS), which its end takes off again in the same atomic step.
ADMITTED_ENTRIES = "cpuc:admitted:entries"
ADMITTED_UNITS = "cpuc:admitted:units"
ADMITTED_FIELDS = ("admitted_entries", "admitted_units")
# Stream of every execution a worker's end-of-job step saw: job, chunk ("all" for a local job), container,
# attempt (1 + the job's runs RQ retried before) and effect (1: merged or ended; 0: refused, e.g. a
# chunk already merged). About EXECUTIONS_KEPT (a setting) newest entries are kept.
EXECUTIONS = "cpuc:executions"
# Ids of ended jobs, oldest first (end_job appends, its trim pops): whose records go first.
ENDED_IDS = "cpuc:jobs:ended-ids"
# Oldest ended records one end_job trims at most: more than the one it adds, so the trim catches up,
# and few, so one job's end stays a bounded piece of work.
TRIM_BATCH = 4
# The record's histogram fields, one per bin.
HISTOGRAM = tuple(f"h{i}" for i in range(BINS))

# `trim_ended(n, spare)` (job_store_trim.lua): prepended to the scripts that end a job, and to
# admission's (services/api/admission.py), which trims before it refuses for memory.
TRIM_LUA = lua_file(__file__, "job_store_trim.lua", ENDED_IDS=ENDED_IDS, JOB_PREFIX=PREFIX)


@dataclass(frozen=True)
class JobKeys:
    """The Redis keys of one job."""

    record: str
    # hash: chunk index -> the chunk, "count h0 h1 ...|cpu seconds|host|pid pid ..." (merged once, folded
    # into the record as the job ends: merged_chunk)
    merged: str

    @classmethod
    def of(cls, job_id: str) -> "JobKeys":
        base = PREFIX + job_id
        return cls(base, base + ":merged")


@dataclass(frozen=True)
class MergedChunk:
    """What a running job's merged hash holds of one chunk besides its answer: its CPU and where it ran."""

    cpu_seconds: float
    host: str
    pids: tuple[str, ...]  # "hostname:pid"

    @classmethod
    def parse(cls, packed: str) -> "MergedChunk":
        """A value of the merged hash, as job_store_steps.lua's packed_chunk writes it."""
        _, cpu, host, pids = packed.split("|")
        return cls(float(cpu), host, tuple(f"{host}:{pid}" for pid in pids.split()))


# Prepended to every script: the allowed status changes, and the one place a job ends (which also
# counts it, shared.job_metrics, and releases its admitted share). The counters and the channel are the
# same for every job, so they are not passed as keys (a single Redis: no cluster slots to declare).
_PRELUDE = (
    job_metrics.LUA
    + TRIM_LUA
    + lua_file(
        __file__,
        "job_store_prelude.lua",
        MAY=job_status.may_table(),
        ADMITTED_ENTRIES=ADMITTED_ENTRIES,
        ADMITTED_UNITS=ADMITTED_UNITS,
        ADMITTED_FIELDS=ADMITTED_FIELDS,
        ENDED_IDS=ENDED_IDS,
        TRIM_BATCH=TRIM_BATCH,
        ENDED_CHANNEL=ENDED_CHANNEL,
        EXECUTIONS=EXECUTIONS,
        EXECUTIONS_KEPT=get_settings().executions_kept,
        JOB_PREFIX=PREFIX,
    )
)

# The two steps of a chunk's run, begin_job and merge_chunk (job_store_steps.lua), on named keys (K)
# and arguments (A): JobStore's own scripts call them, and so do worker.queue.lean's take and finish
# scripts, which fold them into RQ's take and finish of the queue entry.
_STEPS = lua_file(
    __file__,
    "job_store_steps.lua",
    JOB_PREFIX=PREFIX,
    JOB_KEY_SUFFIXES={name: key.removeprefix(PREFIX) for name, key in asdict(JobKeys.of("")).items()},
    METRICS_KEY=job_metrics.KEY,
    STARTED=job_status.STARTED,
    FINISHED=FINISHED,
    BINS=BINS,
)
# What a worker's own scripts prepend to call begin_job and merge_chunk (worker.queue.lean).
LUA_STEPS = _PRELUDE + _STEPS
_MERGE_CHUNK = lua_file(__file__, "job_store_merge.lua")
_BEGIN = lua_file(__file__, "job_store_begin.lua")
# A failed run that RQ will run again; a job's end; a local job's processes (see each file).
_REQUEUED = lua_file(__file__, "job_store_requeued.lua", QUEUED=job_status.QUEUED)
_END = lua_file(__file__, "job_store_end.lua")
_PIDS = lua_file(__file__, "job_store_pids.lua")
# The arguments of a script that may end a job, which it passes on to end_job.
ENDING_ARGS = ("ttl", "keep", "trim_share")


@dataclass(frozen=True)
class JobRecord:
    """A job's record as stored: its request, its plan's chunking, progress, answer and where it ran."""

    id: str
    status: str
    mode: str
    spec: dict[str, Any]  # the request as the API accepted it
    chunk_size: int  # units per chunk the progress counts (local: pool tasks; else queue chunks)
    chunking: str  # "auto" or "fixed"
    chunks_done: int
    chunks_total: int
    tally: Tally  # the answer: whole once finished (a distributed job's is summed as it ends)
    cpu_seconds: float
    created_at: float | None
    started_at: float | None
    ended_at: float | None
    error: str | None
    traceback: str | None
    retries: int  # failed runs that RQ ran again
    last_error: str | None  # why the last of them failed
    hosts: dict[str, int]  # container hostname -> chunks it ran
    pool_processes: dict[str, int]  # container hostname -> pool size it began the job with
    pids: list[str]  # "hostname:pid" of every process that computed a chunk
    # A `bytes` job's data moved (worker/data/accounting.py): read from Redis, pickled to pool processes.
    bytes_read: int = 0
    bytes_pickled: int = 0


@dataclass(frozen=True)
class JobBrief:
    """The three fields of a job the dashboard's figures need."""

    status: str
    created_at: float
    ended_at: float | None


class JobStore:
    """Reads and writes job records (read_async, below, reads one on an asyncio client)."""

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        chunk_keys = (*(field.name for field in dataclasses.fields(JobKeys)), "metrics")
        merge_args = ("index", "count", *HISTOGRAM, "cpu_seconds", "host", "now", *ENDING_ARGS)
        self._merge = NamedScript(redis, _MERGE_CHUNK, chunk_keys, merge_args, "pids", LUA_STEPS)
        begin_args = ("host", "pool_processes", "now")
        self._begin = NamedScript(redis, _BEGIN, ("record",), begin_args, prelude=LUA_STEPS)
        self._requeued = NamedScript(redis, _REQUEUED, ("record",), ("error", "whole_job"), prelude=_PRELUDE)
        end_args = ("status", "now", "host", "chunks", *ENDING_ARGS)
        end_keys = ("record", "merged", "metrics")
        self._end = NamedScript(redis, _END, end_keys, end_args, "fields", LUA_STEPS)
        self._pids = NamedScript(redis, _PIDS, ("record",), (), "pids")

    def ending(self) -> dict[str, Any]:
        """The arguments every script that may end a job passes to `end_job`."""
        settings = get_settings()
        share = settings.ended_trim_memory_share
        return {"ttl": self.ttl, "keep": settings.max_ended_jobs, "trim_share": share}

    def script_shas(self) -> dict[str, str]:
        """The SHA1 (as EVALSHA names it) of the begin and merge scripts, by name."""
        return {"begin": self._begin.sha, "merge": self._merge.sha}

    def create(
        self,
        job_id: str,
        spec: dict[str, Any],
        mode: str,
        chunk_size: int,
        chunks_total: int,
        chunking: str,
        pipeline: Any = None,
    ) -> None:
        """A new queued job, with the chunking its plan fixed (shared.plan)."""
        keys = JobKeys.of(job_id)
        pipe = pipeline if pipeline is not None else self.redis.pipeline()
        pipe.hset(
            keys.record,
            mapping={
                "id": job_id,
                "spec": json.dumps(spec),
                "mode": mode,
                "status": job_status.QUEUED,
                "chunks_total": chunks_total,
                "chunks_done": 0,
                "chunk_size": chunk_size,
                "chunking": chunking,
                "count": 0,
                **dict.fromkeys(HISTOGRAM, 0),
                "cpu_seconds": 0.0,
                "created_at": time.time(),
            },
        )
        # No expiry until it ends (end_job): the volatile-lru policy never evicts work not yet ended.
        pipe.zadd(RECENT, {job_id: time.time()})
        pipe.zremrangebyrank(RECENT, 0, -get_settings().recent_jobs - 1)
        pipe.expire(RECENT, self.ttl)
        job_metrics.count_accepted(pipe, mode, spec["kernel"])
        if pipeline is None:
            pipe.execute()

    def recent(self, limit: int | None = None) -> list[str]:
        """Ids of the latest `limit` (RECENT_JOBS) jobs submitted, newest first (records may have expired)."""
        limit = get_settings().recent_jobs if limit is None else limit
        return [i.decode() for i in self.redis.zrevrange(RECENT, 0, limit - 1)] if limit > 0 else []

    def briefs(self, job_ids: Sequence[str]) -> list[JobBrief]:
        """Status and times of each job still recorded (one round trip; expired ones are left out)."""
        if not job_ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hmget(JobKeys.of(job_id).record, "status", "created_at", "ended_at")
        return [
            JobBrief(status.decode(), float(created), float(ended) if ended is not None else None)
            for status, created, ended in pipe.execute()
            if status is not None
        ]

    def status(self, job_id: str) -> str | None:
        value = self.redis.hget(JobKeys.of(job_id).record, "status")
        return value.decode() if value is not None else None

    def begin(self, job_id: str, host: str, pool_processes: int) -> tuple[dict[str, Any] | None, str]:
        """Record that a worker began (first start wins) and read the job's request, in one step.

        Returns (spec, "started"), or (None, status) if the job has ended (canceled, failed, finished);
        LookupError if the record is gone (expired).
        """
        keys = JobKeys.of(job_id)
        reply = self._begin(
            keys={"record": keys.record},
            args={"host": host, "pool_processes": pool_processes, "now": time.time()},
        )
        if reply[0] == -1:
            raise LookupError(f"job {job_id} has no record (expired or deleted)")
        if reply[0] == 0:
            return None, reply[1].decode()
        return json.loads(reply[1]), job_status.STARTED

    def set_progress(self, job_id: str, chunks_done: int) -> None:
        self.redis.hset(JobKeys.of(job_id).record, "chunks_done", chunks_done)

    def record_pids(self, job_id: str, host: str, pids: list[int]) -> None:
        keys = JobKeys.of(job_id)
        if pids:
            self._pids(keys={"record": keys.record}, args={}, rest=[f"{host}:{pid}" for pid in pids])

    def finish_local(self, job_id: str, tally: Tally, cpu_seconds: float, host: str, chunks: int) -> bool:
        """Write a local job's whole answer at once; False (nothing written) if it ended meanwhile."""
        return bool(
            self._end_job(
                job_id,
                FINISHED,
                credit=(host, chunks),
                count=tally.count,
                **dict(zip(HISTOGRAM, tally.histogram, strict=True)),
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
        if status not in ENDED:
            raise ValueError(f"{status!r} does not end a job")
        keys = JobKeys.of(job_id)
        host, chunks = credit or ("", 0)
        result = self._end(
            keys={
                "record": keys.record,
                "merged": keys.merged,
                "metrics": job_metrics.KEY,
            },
            args={"status": status, "now": time.time(), "host": host, "chunks": chunks, **self.ending()},
            rest=[item for pair in fields.items() for item in pair],
        )
        return None if int(result) < 0 else bool(result)

    def merge_chunk(
        self, job_id: str, index: int, tally: Tally, cpu_seconds: float, host: str, pids: Sequence[int] = ()
    ) -> int:
        """Merge one chunk, and note the processes that ran it, in one atomic step.

        Returns the chunks done so far, -1 if this chunk was already merged, -2 if the job was canceled or
        failed, -3 if its record is gone.
        """
        keys = JobKeys.of(job_id)
        result = self._merge(
            keys={**asdict(keys), "metrics": job_metrics.KEY},
            args={
                "index": index,
                "count": tally.count,
                **dict(zip(HISTOGRAM, tally.histogram, strict=True)),
                "cpu_seconds": cpu_seconds,
                "host": host,
                "now": time.time(),
                **self.ending(),
            },
            rest=list(pids),
        )
        return int(result)

    def fail(self, job_id: str, error: str, traceback: str) -> bool:
        """Mark an active job failed with its error; False (nothing written) if it had already ended."""
        return bool(self._end_job(job_id, FAILED, error=error, traceback=traceback))

    def requeued(self, job_id: str, error: str, whole_job: bool) -> bool:
        """Note a failed run that RQ will retry; a whole job goes back to queued. False if it had ended."""
        keys = JobKeys.of(job_id)
        return bool(
            self._requeued(
                keys={"record": keys.record}, args={"error": error, "whole_job": "1" if whole_job else "0"}
            )
        )

    def cancel(self, job_id: str) -> str | None:
        """Cancel a queued or started job; returns its status afterwards (None if unknown)."""
        ended = self._end_job(job_id, CANCELED)
        if ended is None:
            return None
        return CANCELED if ended else self.status(job_id)

    def read(self, job_id: str) -> JobRecord | None:
        """The job's record, or None if unknown."""
        return parse_record(*_reading(self.redis, job_id).execute())


async def read_async(redis: AsyncRedis, job_id: str) -> JobRecord | None:
    """`JobStore.read` on an asyncio client: the API's waits (services/api/watch.py) take no thread."""
    return parse_record(*await _reading(redis, job_id).execute())


def _reading(redis: Any, job_id: str) -> Any:
    """A pipeline (sync or asyncio) of the reads parse_record takes, not yet executed."""
    keys = JobKeys.of(job_id)
    pipe = redis.pipeline()
    pipe.hgetall(keys.record)
    pipe.hvals(keys.merged)
    return pipe


def parse_record(raw: dict, merged: list[bytes]) -> JobRecord | None:
    """A job's record from the replies of `_reading`; None if it has none. A running split job's chunks
    merged so far are still in its merged hash: their CPU and where they ran are added here."""
    if not raw:
        return None
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    cpu_seconds = float(fields["cpu_seconds"])
    hosts = {k.removeprefix("host:"): int(v) for k, v in fields.items() if k.startswith("host:")}
    pids = {k.removeprefix("pid:") for k in fields if k.startswith("pid:")}
    for chunk in (MergedChunk.parse(value.decode()) for value in merged):
        cpu_seconds += chunk.cpu_seconds
        hosts[chunk.host] = hosts.get(chunk.host, 0) + 1
        pids.update(chunk.pids)

    def moment(name: str) -> float | None:
        return float(fields[name]) if name in fields else None

    return JobRecord(
        id=fields["id"],
        status=fields["status"],
        mode=fields["mode"],
        spec=json.loads(fields["spec"]),
        chunk_size=int(fields["chunk_size"]),
        chunking=fields["chunking"],
        chunks_done=int(fields["chunks_done"]),
        chunks_total=int(fields["chunks_total"]),
        tally=Tally(int(fields["count"]), [int(fields[name]) for name in HISTOGRAM]),
        cpu_seconds=cpu_seconds,
        created_at=moment("created_at"),
        started_at=moment("started_at"),
        ended_at=moment("ended_at"),
        error=fields.get("error") or None,
        traceback=fields.get("traceback"),
        retries=int(fields.get("retries", 0)),
        last_error=fields.get("last_error"),
        hosts=hosts,
        pool_processes={k[5:]: int(v) for k, v in fields.items() if k.startswith("pool:")},
        pids=sorted(pids),
        bytes_read=int(fields.get("bytes_read", 0)),
        bytes_pickled=int(fields.get("bytes_pickled", 0)),
    )

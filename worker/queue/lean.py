"""LeanWorker: an RQ SimpleWorker whose hot path is one Lua script to take a job and one to finish it (for
our own entries, one that finishes a job and takes the next).

Stock SimpleWorker spends about 57 Redis commands, a dozen round trips and 4 MULTI/EXEC per job on its
bookkeeping (`make bench` measures both workers, per job and per command). LeanWorker writes the same
records, in the same RQ keys, with two round trips:

- take (take.lua): LPOP the next id from the first non-empty of the worker's queues (in RQ's order and
  dequeue strategy), then do everything RQ's `prepare_execution` + `prepare_job_execution` do: the
  Execution hash, its entries in the job's execution registry, the queue's StartedJobRegistry and the
  worker's execution index, the job's `started` status and heartbeat, the worker's heartbeat; and
  return the job's hash. The same take sent again (its reply lost with the connection, and redis-py's
  ride-out retry sends it anew) answers the job it took, not another. When every queue is empty the
  worker blocks as RQ's `Queue.dequeue_any` does (BLMOVE into the intermediate list of a single queue,
  BLPOP on several), then starts the id it got with the same script.
- finish (finish.lua): what RQ's `handle_job_success` does for a job without dependents: `finished`
  status, a Result in the job's result stream, the FinishedJobRegistry, the result TTL (on the job and
  its dependencies set, as RQ's `Job.cleanup`), the execution cleaned up, the worker's counters.

Our own queue entries (`own`, given by worker/__main__.py; shared.entries) get more done and less
written: the take also begins our job (shared.job_store's begin_job) and the finish (finish_ours.lua)
also merges the chunk that the job function left (merge_chunk; worker.queue.handoff); and of RQ's records
they get what RQ's tools read (`rq info`, rq-dashboard, worker.queue.reaper), listed in the scripts. The
worker counts them with its heartbeat (at most once per BEAT_INTERVAL) and when it goes idle. Their
finish also takes the next job, in the same script (finish_take.lua: finish_ours.lua, then take.lua), so
a chunk costs one round trip in all; RQ's loop gets that job from `dequeue_job_and_maintain_ttl` without
asking Redis. Not once a stop is asked, nor when the loop's check for `rq suspend` is due before its next
take. A job taken ahead that the loop will not run (it ends: a stop, max_jobs, an error) is given back to
the front of its queue in `teardown` (give_back.lua); a worker killed while holding one leaves it
started, as any job it ran, for the reaper.

While chunks come one after another, that round trip is not waited for either: the worker holds one more
chunk taken ahead (a take sent while the first chunk taken ahead runs), and sends each chunk's finish,
which takes the chunk after the next, before it runs the chunk ahead, whose kernel its round trip then
overlaps (worker.queue.sent). Its reply is read before the next finish, or when the job it took is
wanted. A worker so holds at most one chunk taken ahead while it runs one, and a job it takes ahead waits
behind one chunk at most.

Everything else stays RQ's own code, on these same records: the job timeout (RQ's death penalty around
the call), failures and retries (`_finalize_failure`: FailedJobRegistry, `Retry`, the job's retries
left), jobs with success callbacks, repeats, dependents, webhooks, a rate limit or a result TTL of 0/-1
(RQ's `perform_job` and `_finalize_success`), warm shutdown, suspension, maintenance, and the clean-up of
abandoned executions (worker.queue.reaper). Only the per-job heartbeats and suspension checks are
rate-limited, to one per second.

The scripts build a job's own keys from its id, which standalone Redis allows and Redis Cluster would
not: this worker is for a single Redis, as the stack runs.
"""

import json
import sys
import time
import uuid
from base64 import b64encode
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rq import Retry, SimpleWorker
from rq.defaults import DEFAULT_WORKER_TTL, RQ_KEY_PREFIX
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.logutils import blue, green
from rq.queue import Queue
from rq.results import Result
from rq.timeouts import JobTimeoutException
from rq.utils import utcformat
from rq.worker import WorkerStatus

from shared import entries, job_status
from shared.job_store import ENDING_ARGS, HISTOGRAM, LUA_STEPS, JobStore
from shared.redis_script import NamedScript, lua_file
from shared.settings import get_settings
from worker.queue import handoff, recovery
from worker.queue.sent import Sent

# Seconds between two worker heartbeats or suspension checks while jobs keep coming (RQ: every job).
# The worker key's TTL is minutes, so this only saves round trips.
BEAT_INTERVAL = 1.0

_PRELUDE = LUA_STEPS + entries.LUA
_TAKE_FUNCTION = lua_file(__file__, "take.lua")
_FINISH_OURS_FUNCTION = lua_file(__file__, "finish_ours.lua")
_TAKE = _TAKE_FUNCTION + lua_file(__file__, "run_take.lua")
_FINISH = lua_file(__file__, "finish.lua")
_FINISH_OURS = _FINISH_OURS_FUNCTION + lua_file(__file__, "run_finish_ours.lua")
_GIVE_BACK = lua_file(__file__, "give_back.lua")
_QUEUE_KEYS = ("queue", "intermediate", "started")
_TAKE_ARGS = (
    "id",
    "execution_id",
    "now",
    "now_text",
    "worker_name",
    "job_prefix",
    "execution_prefix",
    "executions_prefix",
    "default_timeout",
    "worker_ttl",
    "place",
    "host",
    "pool_processes",
    "beat",
    "mark_busy",
)
_FINISH_KEYS = ("finished", "started", "worker", "executions", "job", "dependencies")
_FINISH_ARGS = (
    "id",
    "execution_id",
    "now",
    "now_text",
    "result_ttl",
    "execution_prefix",
    "executions_prefix",
    "results_prefix",
    "working_seconds",
)
_MERGE_ARGS = ("job", "index", "count", *HISTOGRAM, "cpu_seconds", "host", *ENDING_ARGS)
_FINISH_OURS_KEYS = ("finished", "started", "executions", "job")
_FINISH_OURS_ARGS = ("id", "execution_id", "now", "now_text", "result_ttl", "execution_prefix", *_MERGE_ARGS)
# The finish of our entry and the take of the next job in one script: the take's arguments prefixed.
_FINISH_TAKE = (
    _FINISH_OURS_FUNCTION + _TAKE_FUNCTION + lua_file(__file__, "finish_take.lua", TAKE_ARGS=list(_TAKE_ARGS))
)
_FINISH_TAKE_KEYS = (*_FINISH_OURS_KEYS, "worker")
_FINISH_TAKE_ARGS = (*_FINISH_OURS_ARGS, *(f"next_{name}" for name in _TAKE_ARGS))
_GIVE_BACK_KEYS = ("started", "executions", "job", "queue")
_GIVE_BACK_ARGS = ("id", "execution_id", "execution_prefix")


# The job hash's dates that RQ's restore would parse, by the Job attribute they set.
_DATES = (("created_at", b"created_at"), ("enqueued_at", b"enqueued_at"))


def rq_date(raw: bytes) -> datetime:
    """A date as RQ writes it (rq.utils.utcformat: `2026-12-07T14:00:00.123456Z`, or without the
    microseconds as older RQ did), read as rq.utils.str_to_date reads it: aware, in UTC."""
    return datetime.fromisoformat(raw.decode())


@dataclass(frozen=True)
class _Taking:
    """A script in flight that takes the next job (worker.queue.sent): a finish that takes too, or a take
    alone; the take's time and ids, to make its job of the reply."""

    sent: Sent
    queues: list[Queue]
    execution_id: str
    now: datetime
    beat: bool
    finishes: bool  # a finish's reply: the take's is its second item


@dataclass(frozen=True)
class OwnEntries:
    """Where our own entries run: the begin's host and pool size, and the store of their records."""

    host: str
    pool_processes: int
    store: JobStore


class LeanWorker(SimpleWorker):
    """SimpleWorker with RQ's records written by two Lua scripts per job (see the module docstring)."""

    def __init__(self, *args: Any, own: OwnEntries | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        self._take = NamedScript(
            self.connection,
            _TAKE,
            ("worker", "executions"),
            _TAKE_ARGS,
            prelude=_PRELUDE,
            group=("queues", _QUEUE_KEYS),
        )
        self._finish = NamedScript(self.connection, _FINISH, _FINISH_KEYS, _FINISH_ARGS, rest="result")
        self._finish_ours = NamedScript(
            self.connection, _FINISH_OURS, _FINISH_OURS_KEYS, _FINISH_OURS_ARGS, rest="pids", prelude=_PRELUDE
        )
        self._finish_take = NamedScript(
            self.connection,
            _FINISH_TAKE,
            _FINISH_TAKE_KEYS,
            _FINISH_TAKE_ARGS,
            rest="pids",
            prelude=_PRELUDE,
            group=("queues", _QUEUE_KEYS),
        )
        self._give_back = NamedScript(self.connection, _GIVE_BACK, _GIVE_BACK_KEYS, _GIVE_BACK_ARGS)
        # Jobs taken ahead, not yet returned to RQ's loop: with the last one's finish (finish_take.lua), and
        # while chunks come one after another, one more, taken while the chunk in hand runs (_taking).
        self._ahead: deque[tuple[Job, Queue]] = deque()
        self._taking: _Taking | None = None
        self._take_ahead_seconds = get_settings().take_ahead_seconds
        self._running_since = 0.0  # when the job running now began to run (monotonic)
        # Key prefixes of a job's own records, from RQ's own key functions (RQ_KEY_PREFIX is followed).
        self._prefixes = {
            "job": Job.key_for(""),
            "execution": f"{RQ_KEY_PREFIX}:execution:",
            "executions": ExecutionRegistry.key_template.format(""),
            "results": Result.get_key(""),
        }
        self._taken: dict[str, Execution] = {}
        self._begun: dict[str, handoff.Begun] = {}
        self._keys_of: dict[str, dict[str, str]] = {}
        self._registries_of: dict[str, dict[str, str]] = {}
        self._last_beat = 0.0
        self._last_extension = 0.0  # the last take that extended the worker key's TTL
        self._last_suspension_check = 0.0
        self._busy_written = False  # whether Redis says this worker is busy
        self._unsent = [0, 0.0]  # our entries finished and their working seconds, not yet counted in Redis
        self.lean_jobs = 0

    def script_shas(self) -> dict[str, str]:
        """Each script's SHA1 (as EVALSHA names it) by name: take, finish, finish_ours."""
        return {
            "take": self._take.sha,
            "finish": self._finish.sha,
            "finish_ours": self._finish_ours.sha,
            "finish_take": self._finish_take.sha,
        }

    # --- rate-limited chores of RQ's loop -------------------------------------------------------

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's worker heartbeat, at most once per BEAT_INTERVAL unless a TTL or pipeline is given."""
        if timeout is None and pipeline is None and time.monotonic() - self._last_beat < BEAT_INTERVAL:
            return
        self._last_beat = time.monotonic()
        if not self._unsent[0] or pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        # With the counts of our entries finished since the last beat (finish_ours.lua leaves them).
        with self.connection.pipeline() as pipe:
            super().heartbeat(timeout, pipe)
            self._send_counts(pipe)
            pipe.execute()

    def check_for_suspension(self, burst: bool) -> None:
        """`rq suspend` is honoured within BEAT_INTERVAL instead of before every job (never while a job
        taken ahead waits: a take comes after a due check, see _may_take_ahead)."""
        if self._holds_nothing() and time.monotonic() - self._last_suspension_check >= BEAT_INTERVAL:
            self._last_suspension_check = time.monotonic()
            super().check_for_suspension(burst)

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """RQ's set_state; going idle also sends the counts of our entries finished since the last beat."""
        self._busy_written = state == WorkerStatus.BUSY
        if state == WorkerStatus.BUSY or not self._unsent[0]:
            super().set_state(state, pipeline)
            return
        pipe = pipeline if pipeline is not None else self.connection.pipeline()
        super().set_state(state, pipe)
        self._send_counts(pipe)
        if pipeline is None:
            pipe.execute()

    def register_death(self) -> None:
        if self._unsent[0]:
            with self.connection.pipeline() as pipe:
                self._send_counts(pipe)
                pipe.execute()
        super().register_death()

    def _send_counts(self, pipe: Any) -> None:
        jobs, seconds = self._unsent
        self._unsent = [0, 0.0]
        pipe.hincrby(self.key, "successful_job_count", jobs)
        pipe.hincrbyfloat(self.key, "total_working_time", seconds)

    # --- take -----------------------------------------------------------------------------------

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """The next job, already started (one script), from the first non-empty queue in the worker's order;
        blocks up to `timeout` while they are all empty. First, a job taken ahead (with an earlier finish)."""
        self.heartbeat()
        if not self._ahead:
            self._receive()
        if self._ahead:
            return self._ahead.popleft()
        idle_since = time.monotonic()
        while True:
            queues = self._ordered_queues
            # Busy while the script may take a job: a SIGTERM now waits for that job to finish.
            self._state = WorkerStatus.BUSY
            taken = self._start(queues)
            if taken is not None:
                return taken
            if timeout is None or self._stop_requested or not queues:
                # Burst mode on empty queues, as RQ; or stopping. Redis hears of it if it thinks otherwise.
                if self._busy_written or self._unsent[0]:
                    self.set_state(WorkerStatus.IDLE)
                return None
            self.set_state(WorkerStatus.IDLE)
            if self.should_run_maintenance_tasks:
                self.run_maintenance_tasks()  # as RQ's loop, between two waits for a job
            wait = timeout
            if max_idle_time is not None:
                wait = max(1, int(max_idle_time - (time.monotonic() - idle_since)))
            popped = self._wait_for_job(queues, wait or 1)
            if popped is None:
                if max_idle_time is not None and time.monotonic() - idle_since >= max_idle_time:
                    return None
                self.heartbeat()
                continue
            self._state = WorkerStatus.BUSY
            taken = self._start(queues, *popped)
            if taken is not None:
                return taken

    def _wait_for_job(self, queues: list[Queue], timeout: int) -> tuple[str, int] | None:
        """Block until a job id arrives on one of the queues, as RQ's `Queue.dequeue_any` does: BLMOVE into
        the intermediate list of a single queue, BLPOP on several (the first non-empty in the worker's order;
        Redis has no blocking move from several lists). The id and its queue's place in `queues`."""
        if len(queues) == 1:
            job_id = self.connection.blmove(queues[0].key, queues[0].intermediate_queue_key, timeout)
            return None if job_id is None else (job_id.decode(), 0)
        popped = self.connection.blpop([queue.key for queue in queues], timeout)
        if popped is None:
            return None
        key = popped[0].decode()
        return popped[1].decode(), next(i for i, queue in enumerate(queues) if queue.key == key)

    def _start(self, queues: list[Queue], job_id: str = "", place: int = 0) -> tuple[Job, Queue] | None:
        """Run the take script: start `job_id` (popped from queues[place]), or else the next job of the first
        non-empty queue; the started job and its queue, or None if they are all empty."""
        execution_id, now, beat, args = self._take_args(job_id, place)
        raw = self._take(**self._take_call(queues, args))
        return self._taken_from(raw, queues, execution_id, now, beat)

    def _take_call(self, queues: list[Queue], args: dict[str, Any]) -> dict[str, Any]:
        """take.lua's keys, queue groups and arguments: the job it takes comes from the first non-empty of
        `queues`, in their order."""
        return {
            "keys": {"worker": self.key, "executions": self.executions_key},
            "groups": [self._queue_keys(queue) for queue in queues],
            "args": args,
        }

    def _take_args(self, job_id: str = "", place: int = 0) -> tuple[str, datetime, bool, dict[str, Any]]:
        """A take's execution id, time, whether it beats, and its arguments (take.lua's)."""
        execution_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        beat = time.monotonic() - self._last_extension >= BEAT_INTERVAL
        return (
            execution_id,
            now,
            beat,
            {
                "id": job_id,
                "execution_id": execution_id,
                "now": now.timestamp(),
                "now_text": utcformat(now),
                "worker_name": self.name,
                "job_prefix": self._prefixes["job"],
                "execution_prefix": self._prefixes["execution"],
                "executions_prefix": self._prefixes["executions"],
                "default_timeout": self.queue_class.DEFAULT_TIMEOUT,
                "worker_ttl": DEFAULT_WORKER_TTL,
                "place": place + 1 if job_id else 0,
                "host": self.own.host if self.own else "",
                "pool_processes": self.own.pool_processes if self.own else 0,
                "beat": int(beat),
                "mark_busy": int(not self._busy_written),
            },
        )

    def _taken_from(
        self, raw: Any, queues: list[Queue], execution_id: str, now: datetime, beat: bool
    ) -> tuple[Job, Queue] | None:
        """The job a take started (its reply `raw`), ready for RQ's loop; None if every queue was empty."""
        if not raw:
            return None
        queue, job_id, begun, answer = queues[raw[0] - 1], raw[1].decode(), raw[2], raw[3]
        self._busy_written = True
        if begun == 2 or beat:
            # Every other entry's take beats as RQ's does (the worker's TTL covers the job's timeout); ours
            # at most once per BEAT_INTERVAL.
            self._last_extension = time.monotonic()
        if begun != 2:
            self._begun[job_id] = (
                handoff.Begun(json.loads(answer), job_status.STARTED)
                if begun == 1
                else handoff.Begun(None, answer.decode())
            )
        # The worker's serializer, resolved once when the worker was made: Job(serializer=...) would resolve
        # it again, a runtime Protocol check (about 20 us a take on CPython 3.11).
        job = self.job_class(job_id, connection=self.connection)
        job.serializer = self.serializer
        fields = dict(zip(raw[4::2], raw[5::2], strict=True))
        # RQ's restore parses these two with strptime (about 25 us each on CPython 3.11, a chunk's take
        # pays both); the same dates read by fromisoformat (rq_date), set after it.
        dates = {name: fields.pop(key) for name, key in _DATES if fields.get(key)}
        job.restore(fields)
        for name, value in dates.items():
            setattr(job, name, rq_date(value))
        job.worker_name, job.started_at, job.last_heartbeat = self.name, now, now
        job._status = JobStatus.STARTED
        job.redis_server_version = self.get_redis_server_version()
        execution = Execution(execution_id, job_id, connection=self.connection, worker_name=self.name)
        execution.created_at = execution.last_heartbeat = now
        execution._job = job
        self.executions[execution_id] = execution
        self._taken[job_id] = execution
        self.reorder_queues(reference_queue=queue)
        # RQ's own log line for a dequeued job, with or without its description.
        if self.log_job_description:
            self.log.info(
                "Worker %s: %s: %s (%s)", self.name, green(queue.name), blue(job.description), job.id
            )
        else:
            self.log.info("Worker %s: %s: %s", self.name, green(queue.name), job.id)
        return job, queue

    def _queue_keys(self, queue: Queue) -> dict[str, str]:
        """A queue's keys for the take script: the queue, its intermediate list, its started registry."""
        keys = self._keys_of.get(queue.key)
        if keys is None:
            keys = dict(
                zip(
                    _QUEUE_KEYS,
                    (queue.key, queue.intermediate_queue_key, queue.started_job_registry.key),
                    strict=True,
                )
            )
            self._keys_of[queue.key] = keys
        return keys

    # --- run and finish -------------------------------------------------------------------------

    def _registry_keys(self, queue: Queue) -> dict[str, str]:
        """A queue's finished and started registries' keys, from RQ's registry objects built once a queue
        (each build resolves the serializer again: a runtime Protocol check, slow on CPython 3.11)."""
        keys = self._registries_of.get(queue.key)
        if keys is None:
            keys = {"finished": queue.finished_job_registry.key, "started": queue.started_job_registry.key}
            self._registries_of[queue.key] = keys
        return keys

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self._taken.pop(job.id)
        begun = self._begun.pop(job.id, None)
        lean = self._lean(job)
        if begun is not None:
            handoff.start(handoff.Handoff(job.id, begun, merge_at_finish=lean))
        try:
            if not lean:
                # RQ's own path; on the started execution its start bookkeeping only repeats ours.
                self.perform_job(job, queue, execution)
                return
            try:
                timeout = job.timeout or self.queue_class.DEFAULT_TIMEOUT
                self._running_since = time.monotonic()
                with self.death_penalty_class(timeout, JobTimeoutException, job_id=job.id):
                    return_value = job.perform()
            except BaseException:  # noqa: BLE001 - as RQ's perform_job: its failure handling decides
                job.ended_at = datetime.now(UTC)
                self._merge_left(job.id)
                self._finalize_failure(job, queue, execution, sys.exc_info())
                return
            job.ended_at = datetime.now(UTC)
            if begun is not None and not isinstance(return_value, Retry):
                self._finish_own(job, queue, execution, handoff.end(job.id))
            elif not self._finish_lean(job, queue, execution, return_value):
                self._merge_left(job.id)
                self._finalize_success(job, queue, execution, return_value)
                return
            self.lean_jobs += 1
            # In this process (the script wrote Redis's); busy still while a job is taken ahead: a SIGTERM
            # until RQ's loop takes it asks the loop to stop (and teardown gives the job back).
            self._state = WorkerStatus.IDLE if self._holds_nothing() else WorkerStatus.BUSY
        finally:
            self._merge_left(job.id)
            self.executions.pop(execution.id, None)
            if self._state != WorkerStatus.IDLE and self._holds_nothing():
                self.set_state(WorkerStatus.IDLE)

    def _merge_left(self, entry_id: str) -> None:
        """A chunk's merge left for a finish script that will not run (the entry failed or took RQ's own
        path after the chunk ran): merged here, through the store's own script."""
        left = handoff.end(entry_id)
        if left is not None and left.merge is not None and self.own is not None:
            merge = left.merge
            job_id = entries.our_job(entry_id)
            recovery.persist(
                "merge a chunk",
                self.own.store.merge_chunk,
                job_id,
                merge.index,
                merge.tally,
                merge.cpu_seconds,
                merge.host,
                merge.pids,
            )

    def _lean(self, job: Job) -> bool:
        """Whether the two scripts cover this job; otherwise RQ's own code runs it."""
        return (
            job._success_callback_name is None
            and not job.repeats_left
            and job.get_result_ttl(self.default_result_ttl) > 0
            # RQ's success path frees a rate limit slot and sends the job's webhooks; ours does neither.
            and not job.has_rate_limit
            and not job.webhooks
        )

    def _finish_own(self, job: Job, queue: Queue, execution: Execution, done: handoff.Handoff | None) -> None:
        """finish_ours.lua: the merge the chunk left, if any, and what RQ's tools read of a finished job."""
        ended = job.ended_at
        assert ended is not None and job.started_at is not None and self.own is not None
        merge = done.merge if done is not None else None
        merge_args: dict[str, Any] = dict.fromkeys(_MERGE_ARGS, "")
        if merge is not None:
            merge_args = {
                "job": entries.our_job(job.id),
                "index": merge.index,
                "count": merge.tally.count,
                **dict(zip(HISTOGRAM, merge.tally.histogram, strict=True)),
                "cpu_seconds": merge.cpu_seconds,
                "host": merge.host,
                **self.own.store.ending(),
            }
        keys, args = self._finished(job, queue, execution)
        pids = list(merge.pids) if merge is not None else []
        self._receive()
        # The chunk's merge (and maybe its job's end) lives here: tried again while Redis refuses it, never
        # dropped (a job left started under a live worker is reclaimed by nobody). A resent merge is
        # merged once (merge_chunk's guard); the rest of the script rewrites the same records, and a
        # resent take answers the job it took (take.lua).
        # One more taken ahead only behind a chunk, and only while chunks are short: a longer one would
        # keep it from another worker for longer than its round trip is worth.
        short = time.monotonic() - self._running_since < self._take_ahead_seconds
        if self._may_take_ahead() and (not self._ahead or (short and self._is_chunk(self._ahead[0][0]))):
            queues = self._ordered_queues
            execution_id, now, beat, take_args = self._take_args()
            what = "finish a chunk, merge it and take the next job"
            call = {
                "keys": {**keys, "worker": self.key},
                "args": {**args, **merge_args, **{f"next_{k}": v for k, v in take_args.items()}},
                "rest": pids,
                "groups": [self._queue_keys(q) for q in queues],
            }
            if self._ahead:
                # A chunk waits ahead: this finish and its take are answered while that chunk runs.
                sent = Sent(self.connection, what, self._finish_take, **call)
                self._taking = _Taking(sent, queues, execution_id, now, beat, finishes=True)
            else:
                raw = recovery.persist(what, self._finish_take, **call)
                self._hold(self._taken_from(raw[1], queues, execution_id, now, beat))
                if short and self._ahead and self._is_chunk(self._ahead[0][0]):
                    self._take_while_it_runs()
        else:
            recovery.persist(
                "finish a chunk and merge it",
                self._finish_ours,
                keys=keys,
                args={**args, **merge_args},
                rest=pids,
            )
        job._status = JobStatus.FINISHED
        self._unsent[0] += 1
        self._unsent[1] += (ended - job.started_at).total_seconds()

    def _is_chunk(self, job: Job) -> bool:
        """Whether a job is a chunk of one of our jobs, begun by its take: short work, one of many."""
        return job.id in self._begun and entries.is_chunk(job.id)

    def _take_while_it_runs(self) -> None:
        """Send a take of the next job now, to be answered while the chunk ahead runs (so a worker fed
        chunk after chunk holds one more taken ahead; never behind longer work than one chunk)."""
        queues = self._ordered_queues
        execution_id, now, beat, args = self._take_args()
        sent = Sent(self.connection, "take the next job", self._take, **self._take_call(queues, args))
        self._taking = _Taking(sent, queues, execution_id, now, beat, finishes=False)

    def _receive(self) -> None:
        """The reply of the script in flight, if any: the job it took waits ahead."""
        taking, self._taking = self._taking, None
        if taking is None:
            return
        raw = taking.sent.reply()
        if taking.finishes:
            raw = raw[1]
        self._hold(self._taken_from(raw, taking.queues, taking.execution_id, taking.now, taking.beat))

    def _hold(self, taken: tuple[Job, Queue] | None) -> None:
        if taken is not None:
            self._ahead.append(taken)

    def _holds_nothing(self) -> bool:
        """Whether no job waits ahead and no take is in flight."""
        return not self._ahead and self._taking is None

    def _may_take_ahead(self) -> bool:
        """Whether the finish of our entry takes the next job too: not once a stop is asked, nor when RQ's
        loop checks for a suspension before its next take (at most once per BEAT_INTERVAL), which must
        come before that take."""
        return not self._stop_requested and time.monotonic() - self._last_suspension_check < BEAT_INTERVAL

    def teardown(self) -> None:
        """RQ's teardown, after a job taken ahead that RQ's loop will not run (a stop, max_jobs, an error
        that ends the loop) is given back to the front of its queue. RQ's own runs however that ends."""
        try:
            try:
                self._receive()
            finally:
                while self._ahead:
                    self._give_back_one(*self._ahead.pop())  # the last first: each goes to the front
        finally:
            super().teardown()

    def _give_back_one(self, job: Job, queue: Queue) -> None:
        """give_back.lua: a job taken ahead back at the front of its queue, as if never taken."""
        execution = self._taken.pop(job.id)
        self._begun.pop(job.id, None)
        self.executions.pop(execution.id, None)
        recovery.persist(
            "give back a job taken ahead",
            self._give_back,
            keys={
                "started": queue.started_job_registry.key,
                "executions": self.executions_key,
                "job": job.key,
                "queue": queue.key,
            },
            args={
                "id": job.id,
                "execution_id": execution.id,
                "execution_prefix": self._prefixes["execution"],
            },
        )

    def _finish_lean(self, job: Job, queue: Queue, execution: Execution, return_value: Any) -> bool:
        """The finish script; False (nothing written) if the job turned out to have dependents."""
        if isinstance(return_value, Retry):
            return False
        ended = job.ended_at
        assert ended is not None and job.started_at is not None
        result: dict[str, Any] = {"type": Result.Type.SUCCESSFUL.value, "worker_name": self.name}
        if return_value is not None:
            result["return_value"] = b64encode(job.serializer.dumps(return_value)).decode()
        result |= {
            "execution_id": execution.id,
            "execution_started_at": execution.created_at.timestamp(),
            "execution_ended_at": ended.timestamp(),
        }
        keys, args = self._finished(job, queue, execution)
        done = self._finish(
            keys={**keys, "worker": self.key, "dependencies": job.dependencies_key},
            args={
                **args,
                "executions_prefix": self._prefixes["executions"],
                "results_prefix": self._prefixes["results"],
                "working_seconds": (ended - job.started_at).total_seconds(),
            },
            rest=[item for pair in result.items() for item in pair],
        )
        if done:
            job._status = JobStatus.FINISHED
            self._busy_written = False
        return bool(done)

    def _finished(self, job: Job, queue: Queue, execution: Execution) -> tuple[dict[str, str], dict]:
        """The keys and arguments that both finish scripts take: the job, its execution, its queue's
        registries and the worker's index of executions."""
        ended = job.ended_at
        assert ended is not None
        keys = {
            **self._registry_keys(queue),
            "executions": self.executions_key,
            "job": job.key,
        }
        args = {
            "id": job.id,
            "execution_id": execution.id,
            "now": ended.timestamp(),
            "now_text": utcformat(ended),
            "result_ttl": job.get_result_ttl(self.default_result_ttl),
            "execution_prefix": self._prefixes["execution"],
        }
        return keys, args

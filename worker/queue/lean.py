"""LeanWorker: an RQ SimpleWorker whose hot path is one Lua script to take a job and one to finish it.

Stock SimpleWorker spends about 57 Redis commands, a dozen round trips and 4 MULTI/EXEC per job on its
bookkeeping (ANCHORS.md: ~3-5 ms per job, more than a small chunk's work). LeanWorker writes the same
records, in the same RQ keys, with two round trips:

- take (`_TAKE`): LMOVE the next id from the queue to RQ's intermediate list, then do everything RQ's
  `prepare_execution` + `prepare_job_execution` do: the Execution hash, its entries in the job's
  execution registry, the StartedJobRegistry and the worker's execution index, the job's `started`
  status and heartbeat, the worker's heartbeat; and return the job's hash. An empty queue falls back to a
  blocking BLMOVE, then the same script.
- finish (`_FINISH`): what RQ's `handle_job_success` does for a job without dependents: `finished`
  status, a Result in the job's result stream, the FinishedJobRegistry, the result TTL, the execution
  cleaned up, the worker's counters.

Everything else stays RQ's own code, on these same records: the job timeout (RQ's death penalty around
the call), failures and retries (`_finalize_failure`: FailedJobRegistry, `Retry`, the job's retries
left), jobs with success callbacks, repeats, dependents or a result TTL of 0/-1 (RQ's `perform_job` and
`_finalize_success`), warm shutdown, suspension, maintenance, and the clean-up of abandoned executions
(worker.queue.reaper). Only the per-job heartbeats and suspension checks are rate-limited, to one per second.

The scripts build a job's own keys from its id, which standalone Redis allows and Redis Cluster would
not: this worker is for a single Redis, as the stack runs.
"""

import sys
import time
import uuid
from base64 import b64encode
from datetime import UTC, datetime
from typing import Any

from rq import Retry, SimpleWorker
from rq.defaults import DEFAULT_WORKER_TTL, RQ_KEY_PREFIX
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.results import Result
from rq.timeouts import JobTimeoutException
from rq.utils import utcformat
from rq.worker import WorkerStatus

# Seconds between two worker heartbeats or suspension checks while jobs keep coming (RQ: every job).
# The worker key's TTL is minutes, so this only saves round trips.
BEAT_INTERVAL = 1.0

_TAKE = """
-- KEYS: queue, intermediate list, started registry, worker hash, worker execution index
-- ARGV: job id ('' = take the next one), execution id, now (s), now (RQ's text format), worker name,
--       job key prefix, execution key prefix, execution registry prefix, default timeout
local id = ARGV[1]
if id == '' then
  id = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not id then return false end
end
local job_key = ARGV[6] .. id
local raw = redis.call('HGETALL', job_key)
if #raw == 0 then
  redis.call('LREM', KEYS[2], 1, id)
  return {id}
end
local now = tonumber(ARGV[3])
local timeout = tonumber(redis.call('HGET', job_key, 'timeout') or ARGV[9])
local ttl = timeout + 60
if timeout == -1 then ttl = tonumber(ARGV[10]) end
local composite = id .. ':' .. ARGV[2]
local execution_key = ARGV[7] .. composite
local registry_key = ARGV[8] .. id
redis.call('HSET', execution_key, 'id', ARGV[2], 'job_id', id, 'created_at', ARGV[3],
           'last_heartbeat', ARGV[3], 'worker_name', ARGV[5])
redis.call('EXPIRE', execution_key, ttl)
redis.call('ZADD', registry_key, now + ttl + 60, ARGV[2])
redis.call('EXPIRE', registry_key, ttl + 60)
redis.call('ZADD', KEYS[3], now + ttl, composite)
redis.call('SADD', KEYS[5], composite)
redis.call('EXPIRE', KEYS[5], ttl + 60)
redis.call('HSET', KEYS[4], 'state', 'busy', 'last_heartbeat', ARGV[4])
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('HSET', job_key, 'last_heartbeat', ARGV[4], 'status', 'started', 'started_at', ARGV[4],
           'worker_name', ARGV[5])
redis.call('PERSIST', job_key)
redis.call('LREM', KEYS[2], 1, id)
table.insert(raw, 1, id)
return raw
"""

_FINISH = """
-- KEYS: finished registry, started registry, worker hash, worker execution index
-- ARGV: job id, execution id, now (s), now (RQ's text format), result TTL, job key prefix,
--       execution key prefix, execution registry prefix, result stream prefix, working seconds,
--       then the Result's fields
local id = ARGV[1]
local job_key = ARGV[6] .. id
if redis.call('EXISTS', job_key .. ':dependents') == 1 then return 0 end
local ttl = tonumber(ARGV[5])
local composite = id .. ':' .. ARGV[2]
redis.call('HSET', job_key, 'status', 'finished', 'ended_at', ARGV[4], 'last_heartbeat', ARGV[4])
local result_key = ARGV[9] .. id
redis.call('XADD', result_key, 'MAXLEN', 10, '*', unpack(ARGV, 11))
redis.call('EXPIRE', result_key, ttl)
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + ttl, id)
redis.call('EXPIRE', job_key, ttl)
redis.call('DEL', ARGV[7] .. composite)
redis.call('ZREM', KEYS[2], composite)
redis.call('ZREM', ARGV[8] .. id, ARGV[2])
redis.call('SREM', KEYS[4], composite)
redis.call('HINCRBY', KEYS[3], 'successful_job_count', 1)
redis.call('HINCRBYFLOAT', KEYS[3], 'total_working_time', ARGV[10])
redis.call('HSET', KEYS[3], 'state', 'idle')
return 1
"""


class LeanWorker(SimpleWorker):
    """SimpleWorker with RQ's records written by two Lua scripts per job (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(self.queues) != 1:
            raise ValueError("LeanWorker takes jobs from exactly one queue")
        self._take = self.connection.register_script(_TAKE)
        self._finish = self.connection.register_script(_FINISH)
        # Key prefixes of a job's own records, from RQ's own key functions (RQ_KEY_PREFIX is followed).
        self._prefixes = {
            "job": Job.key_for(""),
            "execution": f"{RQ_KEY_PREFIX}:execution:",
            "executions": ExecutionRegistry.key_template.format(""),
            "results": Result.get_key(""),
        }
        self._taken: dict[str, Execution] = {}
        self._last_beat = 0.0
        self._last_suspension_check = 0.0
        self.lean_jobs = 0

    # --- rate-limited chores of RQ's loop -------------------------------------------------------

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """RQ's worker heartbeat, at most once per BEAT_INTERVAL unless a TTL or pipeline is given."""
        if timeout is None and pipeline is None and time.monotonic() - self._last_beat < BEAT_INTERVAL:
            return
        self._last_beat = time.monotonic()
        super().heartbeat(timeout, pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        """`rq suspend` is honoured within BEAT_INTERVAL instead of before every job."""
        if time.monotonic() - self._last_suspension_check >= BEAT_INTERVAL:
            self._last_suspension_check = time.monotonic()
            super().check_for_suspension(burst)

    # --- take -----------------------------------------------------------------------------------

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """The next job, already started (one script); blocks up to `timeout` on an empty queue."""
        queue = self.queues[0]
        self.heartbeat()
        idle_since = time.monotonic()
        while True:
            # Busy while the script may take a job: a SIGTERM now waits for that job to finish.
            self._state = WorkerStatus.BUSY
            taken = self._start(queue, "")
            if taken is not None:
                return taken
            if timeout is None or self._stop_requested:
                return None  # burst mode on an empty queue, as RQ; or stopping
            self.set_state(WorkerStatus.IDLE)
            wait = timeout
            if max_idle_time is not None:
                wait = max(1, int(max_idle_time - (time.monotonic() - idle_since)))
            job_id = self.connection.blmove(queue.key, queue.intermediate_queue_key, wait or 1)
            if job_id is None:
                if max_idle_time is not None and time.monotonic() - idle_since >= max_idle_time:
                    return None
                self.heartbeat()
                continue
            self._state = WorkerStatus.BUSY
            taken = self._start(queue, job_id.decode())
            if taken is not None:
                return taken

    def _start(self, queue: Queue, job_id: str) -> tuple[Job, Queue] | None:
        """Run the take script (for `job_id`, or the queue's next job): the started job, or None."""
        registry = queue.started_job_registry
        while True:
            execution_id = uuid.uuid4().hex
            now = datetime.now(UTC)
            raw = self._take(
                keys=[queue.key, queue.intermediate_queue_key, registry.key, self.key, self.executions_key],
                args=[
                    job_id,
                    execution_id,
                    now.timestamp(),
                    utcformat(now),
                    self.name,
                    self._prefixes["job"],
                    self._prefixes["execution"],
                    self._prefixes["executions"],
                    self.queue_class.DEFAULT_TIMEOUT,
                    DEFAULT_WORKER_TTL,
                ],
            )
            if not raw:
                return None
            if len(raw) > 1:
                break
            job_id = ""  # its hash had expired (RQ skips such ids too): take the next one
        job_id = raw[0].decode()
        job = self.job_class(job_id, connection=self.connection, serializer=self.serializer)
        job.restore(dict(zip(raw[1::2], raw[2::2], strict=True)))
        job.worker_name, job.started_at, job.last_heartbeat = self.name, now, now
        job._status = JobStatus.STARTED
        execution = Execution(execution_id, job_id, connection=self.connection, worker_name=self.name)
        execution.created_at = execution.last_heartbeat = now
        execution._job = job
        self.executions[execution_id] = execution
        self._taken[job_id] = execution
        self.log.debug("Worker %s: %s: %s", self.name, queue.name, job_id)
        return job, queue

    # --- run and finish -------------------------------------------------------------------------

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self._taken.pop(job.id)
        try:
            if not self._lean(job):
                # RQ's own path; on the started execution its start bookkeeping only repeats ours.
                self.perform_job(job, queue, execution)
                return
            try:
                timeout = job.timeout or self.queue_class.DEFAULT_TIMEOUT
                with self.death_penalty_class(timeout, JobTimeoutException, job_id=job.id):
                    return_value = job.perform()
            except BaseException:  # noqa: BLE001 - as RQ's perform_job: its failure handling decides
                job.ended_at = datetime.now(UTC)
                self._finalize_failure(job, queue, execution, sys.exc_info())
                return
            job.ended_at = datetime.now(UTC)
            if self._finish_lean(job, queue, execution, return_value):
                self.lean_jobs += 1
                self._state = WorkerStatus.IDLE  # the script wrote it
                return
            self._finalize_success(job, queue, execution, return_value)
        finally:
            self.executions.pop(execution.id, None)
            if self._state != WorkerStatus.IDLE:
                self.set_state(WorkerStatus.IDLE)

    def _lean(self, job: Job) -> bool:
        """Whether the two scripts cover this job; otherwise RQ's own code runs it."""
        return (
            job._success_callback_name is None
            and not job.repeats_left
            and job.get_result_ttl(self.default_result_ttl) > 0
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
        ttl = job.get_result_ttl(self.default_result_ttl)
        registries = [queue.finished_job_registry.key, queue.started_job_registry.key]
        done = self._finish(
            keys=[*registries, self.key, self.executions_key],
            args=[
                job.id,
                execution.id,
                ended.timestamp(),
                utcformat(ended),
                ttl,
                self._prefixes["job"],
                self._prefixes["execution"],
                self._prefixes["executions"],
                self._prefixes["results"],
                (ended - job.started_at).total_seconds(),
                *(item for pair in result.items() for item in pair),
            ],
        )
        if done:
            job._status = JobStatus.FINISHED
        return bool(done)

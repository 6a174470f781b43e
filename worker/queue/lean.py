"""LeanWorker: an RQ SimpleWorker whose hot path is one Lua script to take a job and one to finish it.

Stock SimpleWorker spends about 57 Redis commands, a dozen round trips and 4 MULTI/EXEC per job on its
bookkeeping (ANCHORS.md: ~3-5 ms per job, more than a small chunk's work). LeanWorker writes the same
records, in the same RQ keys, with two round trips:

- take (`_TAKE`): LMOVE the next id from the first non-empty of the worker's queues (in RQ's order and
  dequeue strategy) to that queue's intermediate list, then do everything RQ's `prepare_execution` +
  `prepare_job_execution` do: the Execution hash, its entries in the job's execution registry, the
  queue's StartedJobRegistry and the worker's execution index, the job's `started` status and
  heartbeat, the worker's heartbeat; and return the job's hash. The same take sent again (its reply
  lost with the connection, and redis-py's ride-out retry sends it anew) answers the job it took, not
  another. When every queue is empty the worker blocks as RQ's `Queue.dequeue_any` does (BLMOVE into
  the intermediate list of a single queue, BLPOP on several), then starts the id it got with the same
  script.
- finish (`_FINISH`): what RQ's `handle_job_success` does for a job without dependents: `finished`
  status, a Result in the job's result stream, the FinishedJobRegistry, the result TTL (on the job and
  its dependencies set, as RQ's `Job.cleanup`), the execution cleaned up, the worker's counters.

Everything else stays RQ's own code, on these same records: the job timeout (RQ's death penalty around
the call), failures and retries (`_finalize_failure`: FailedJobRegistry, `Retry`, the job's retries
left), jobs with success callbacks, repeats, dependents, webhooks, a rate limit or a result TTL of 0/-1
(RQ's `perform_job` and `_finalize_success`), warm shutdown, suspension, maintenance, and the clean-up of
abandoned executions (worker.queue.reaper). Only the per-job heartbeats and suspension checks are
rate-limited, to one per second.

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
from rq.logutils import blue, green
from rq.queue import Queue
from rq.results import Result
from rq.timeouts import JobTimeoutException
from rq.utils import utcformat
from rq.worker import WorkerStatus

# Seconds between two worker heartbeats or suspension checks while jobs keep coming (RQ: every job).
# The worker key's TTL is minutes, so this only saves round trips.
BEAT_INTERVAL = 1.0

_TAKE = """
-- KEYS: worker hash, worker execution index, then per queue in the worker's order: the queue, its
--       intermediate list, its started registry
-- ARGV: job id ('' = take the next one), execution id, now (s), now (RQ's text format), worker name,
--       job key prefix, execution key prefix, execution registry prefix, default timeout, worker TTL,
--       the queue of the given job id (its 1-based place in KEYS' queues)
local id = ARGV[1]
local q = tonumber(ARGV[11])
local raw
-- This very take again (same execution id): the client sent it twice because the reply to the first was
-- lost with its connection (Redis killed, redis-py's ride-out retry). Answer what the first took instead
-- of taking another job, which would leave the first started with nobody running it.
local taken = redis.call('HMGET', KEYS[1], 'lean_taking', 'lean_taking_queue')
if taken[1] and string.sub(taken[1], 1, #ARGV[2] + 1) == ARGV[2] .. ':' then
  id = string.sub(taken[1], #ARGV[2] + 2)
  raw = redis.call('HGETALL', ARGV[6] .. id)
  table.insert(raw, 1, id)
  table.insert(raw, 1, tonumber(taken[2]))
  return raw
end
while true do
  if id == '' then
    q = 0
    for i = 1, (#KEYS - 2) / 3 do
      local popped = redis.call('LMOVE', KEYS[3 * i], KEYS[3 * i + 1], 'LEFT', 'RIGHT')
      if popped then
        id, q = popped, i
        break
      end
    end
    if q == 0 then return false end
  end
  raw = redis.call('HGETALL', ARGV[6] .. id)
  if #raw > 0 then break end
  -- Its hash expired: skip the id, as RQ does, and take the next one.
  redis.call('LREM', KEYS[3 * q + 1], 1, id)
  id = ''
end
local job_key = ARGV[6] .. id
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
redis.call('ZADD', KEYS[3 * q + 2], now + ttl, composite)
redis.call('SADD', KEYS[2], composite)
redis.call('EXPIRE', KEYS[2], ttl + 60)
redis.call('HSET', KEYS[1], 'state', 'busy', 'last_heartbeat', ARGV[4], 'lean_taking', ARGV[2] .. ':' .. id,
           'lean_taking_queue', q)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('HSET', job_key, 'last_heartbeat', ARGV[4], 'status', 'started', 'started_at', ARGV[4],
           'worker_name', ARGV[5])
redis.call('PERSIST', job_key)
redis.call('LREM', KEYS[3 * q + 1], 1, id)
table.insert(raw, 1, id)
table.insert(raw, 1, q)
return raw
"""

_FINISH = """
-- KEYS: finished registry, started registry, worker hash, worker execution index, the job's dependencies set
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
redis.call('EXPIRE', KEYS[5], ttl)
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
        self._keys_of: dict[str, list[str]] = {}
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
        """The next job, already started (one script), from the first non-empty queue in the worker's order;
        blocks up to `timeout` while they are all empty."""
        self.heartbeat()
        idle_since = time.monotonic()
        while True:
            queues = self._ordered_queues
            # Busy while the script may take a job: a SIGTERM now waits for that job to finish.
            self._state = WorkerStatus.BUSY
            taken = self._start(queues)
            if taken is not None:
                return taken
            if timeout is None or self._stop_requested or not queues:
                return None  # burst mode on empty queues, as RQ; or stopping
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
        keys = [self.key, self.executions_key]
        for queue in queues:
            keys += self._queue_keys(queue)
        execution_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        raw = self._take(
            keys=keys,
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
                place + 1 if job_id else 0,
            ],
        )
        if not raw:
            return None
        queue = queues[raw[0] - 1]
        job_id = raw[1].decode()
        job = self.job_class(job_id, connection=self.connection, serializer=self.serializer)
        job.restore(dict(zip(raw[2::2], raw[3::2], strict=True)))
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

    def _queue_keys(self, queue: Queue) -> list[str]:
        """A queue's keys for the take script: the queue, its intermediate list, its started registry."""
        keys = self._keys_of.get(queue.key)
        if keys is None:
            keys = [queue.key, queue.intermediate_queue_key, queue.started_job_registry.key]
            self._keys_of[queue.key] = keys
        return keys

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
            # RQ's success path frees a rate limit slot and sends the job's webhooks; ours does neither.
            and not job.has_rate_limit
            and not job.webhooks
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
            keys=[*registries, self.key, self.executions_key, job.dependencies_key],
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

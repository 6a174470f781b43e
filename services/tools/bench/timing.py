"""The queue figures' method: jobs waiting, queue key hidden while workers start, then timed.

Enqueue with no worker running, RENAME the queue key away, start the workers, wait until they are
registered, RENAME it back (blocked readers wake at once), and time from the first job's start to the
last job's end with RQ's own timestamps (microseconds, on the job hash). Worker start-up is excluded.
Redis's command counts and CPU are read just before the reveal and just after the last job.
"""

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue
from rq.job import Job
from rq.utils import utcparse

from services.tools.bench import stack
from services.tools.bench.defaults import PHASE_TIMEOUT
from services.tools.redis_stats import command_calls

# Seconds between two looks at whether every job has ended (a ZCARD each: negligible load).
POLL_INTERVAL = 0.05


@dataclass
class Window:
    """One timed run of `jobs` queue entries."""

    jobs: int
    seconds: float  # first start to last end
    commands: dict[str, int] = field(default_factory=dict)  # Redis command -> calls during the run
    redis_cpu: float = 0.0  # Redis CPU seconds during the run

    @property
    def per_job(self) -> float:
        return self.seconds / self.jobs

    @property
    def commands_per_job(self) -> float:
        return sum(self.commands.values()) / self.jobs


def redis_cpu(connection: redis.Redis) -> float:
    info = connection.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def timed_run(
    connection: redis.Redis,
    queue: Queue,
    job_ids: list[str],
    start_workers: Callable[[], list[subprocess.Popen]],
    workers: int,
) -> Window:
    """Run the already enqueued `job_ids` on freshly started workers, by the RENAME method."""
    hidden = queue.key + ":hidden"
    connection.rename(queue.key, hidden)
    procs = start_workers()
    try:
        stack.wait_workers(connection, queue, workers)
        before, cpu_before = command_calls(connection), redis_cpu(connection)
        connection.rename(hidden, queue.key)
        ended = _wait_ended(connection, queue, len(job_ids))
        after, cpu_after = command_calls(connection), redis_cpu(connection)
    finally:
        stack.stop(procs)
    if ended["failed"]:
        raise RuntimeError(f"{ended['failed']} of {len(job_ids)} jobs failed on {queue.name}")
    starts, ends = _timestamps(connection, job_ids)
    commands = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0) > 0}
    # Our own counting (the ZCARDs above and the two INFOs) and the reveal are not the workers' doing.
    for own in ("zcard", "info", "rename"):
        commands.pop(own, None)
    return Window(len(job_ids), max(ends) - min(starts), commands, cpu_after - cpu_before)


def _wait_ended(connection: redis.Redis, queue: Queue, count: int) -> dict[str, int]:
    def ended() -> dict[str, int] | None:
        pipe = connection.pipeline(transaction=False)
        pipe.zcard(queue.finished_job_registry.key)
        pipe.zcard(queue.failed_job_registry.key)
        finished, failed = pipe.execute()
        return {"finished": finished, "failed": failed} if finished + failed >= count else None

    return stack.wait_for(ended, PHASE_TIMEOUT, f"every job on {queue.name} ended", POLL_INTERVAL)


def _timestamps(connection: redis.Redis, job_ids: list[str]) -> tuple[list[float], list[float]]:
    """Each job's start and end (Unix seconds) as RQ recorded them."""
    pipe = connection.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hmget(Job.key_for(job_id), "started_at", "ended_at")
    starts, ends = [], []
    for started, ended in pipe.execute():
        starts.append(utcparse(started.decode()).timestamp())
        ends.append(utcparse(ended.decode()).timestamp())
    return starts, ends


def summary(windows: list[Window]) -> dict[str, Any]:
    """Median per job over rounds, with every round's figures kept."""
    import statistics

    per_job = [w.per_job for w in windows]
    return {
        "per_job_seconds": statistics.median(per_job),
        "rounds": per_job,
        "commands_per_job": statistics.median(w.commands_per_job for w in windows),
        "redis_cpu_per_job": statistics.median(w.redis_cpu / w.jobs for w in windows),
        "commands": windows[len(windows) // 2].commands,
    }

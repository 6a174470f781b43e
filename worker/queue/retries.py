"""Retry policy: which failures run a job again, and how its record follows. The one place it is decided.

- RQ counts the attempts: the API enqueues every job with `Retry(max=JOB_RETRIES)` (shared.settings;
  services/api/enqueue.py), requeued at the front, so a recovered job does not wait behind the backlog.
- A fault that is not the job's own is retried while RQ has retries left: a pool process died
  (`PoolBroken`, the run's answer is incomplete) or the whole worker died (worker.queue.reaper, through
  RQ's own clean-up of abandoned jobs, which takes from the same count).
- The job's own failure (its kernel raised, bad input, its timeout) is final: retrying a deterministic
  error only delays the answer. RQ would retry any exception, so this zeroes its count first.
- A retried job's record says why (`last_error`); it becomes `failed`, with the error readable through
  GET /jobs/{id}, only when no retry is left.
"""

from rq import get_current_job

from worker.pool.health import PoolBroken

# Failures that say nothing about the job itself: the same job may well succeed on a second run.
RETRYABLE: tuple[type[BaseException], ...] = (PoolBroken,)


def will_retry(exc: BaseException) -> bool:
    """Whether RQ will run the current job again after `exc`; makes sure it will not if `exc` is final."""
    job = get_current_job()
    if job is None:
        return False
    if not isinstance(exc, RETRYABLE):
        # RQ decides from this very Job object once the function has raised.
        job.retries_left = 0
        return False
    return bool(job.retries_left)

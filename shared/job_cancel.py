"""Canceling a job, as POST /jobs/{id}/cancel does it: only a job that has not ended yet.

The store's cancel ends a queued or running job in one step (its `end_job`); running pool work then
stops early and queued chunks are skipped (worker/tasks.py). It answers `canceled` for a job canceled
earlier as well, so the record read before it tells a second cancel from the first.
"""

from shared.job_status import CANCELED
from shared.job_store import JobRecord, JobStore


class UnknownJob(LookupError):
    """No record of the job: never submitted, or expired (RESULT_TTL)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")


class AlreadyEnded(Exception):
    """The job had ended before the cancel: finished, failed or canceled."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(f"job {job_id!r} has already ended: {status}")
        self.status = status


def cancel(store: JobStore, job_id: str) -> JobRecord:
    """Cancel a queued or running job; its record as it is now (status `canceled`).

    UnknownJob if there is no such job; AlreadyEnded if it had ended before.
    """
    before = store.read(job_id)
    if before is None:
        raise UnknownJob(job_id)
    if before.status == CANCELED:
        raise AlreadyEnded(job_id, CANCELED)
    now = store.cancel(job_id)
    if now is None:
        raise UnknownJob(job_id)  # expired in between
    if now != CANCELED:
        raise AlreadyEnded(job_id, now)  # it ended on its own in between
    after = store.read(job_id)
    if after is None:
        raise UnknownJob(job_id)
    return after

"""A job's status in our record, and the one table of which status may go to which.

Every write of a status (the store's Lua scripts, and the reaper through them) asks `TRANSITIONS`,
rendered into each script as a Lua table (shared.job_store), so no script keeps its own idea of it:

    queued  -> started    a worker began the job, or one of its chunks (begin)
    started -> started    another chunk of the same job began
    started -> queued     a whole (local) job's run failed and RQ will run it again (requeued)
    queued  -> queued     the same, before its worker had begun it (the reaper requeues a taken job)
    queued | started -> finished | failed | canceled   the job ends, once (end, the last chunk's merge)

A status in ENDED goes nowhere: a late failure never hides an answer, a cancel never undoes one.

RQ keeps a status of its own per queue entry (rq.job.JobStatus); one job is one entry (local) or one
per chunk (distributed, hybrid). They map onto ours as follows, and only through the writes above:

    RQ's status of an entry                   our record
    queued / scheduled / deferred             queued, or started once another chunk began
    started (LeanWorker's take)               unchanged until the job function's begin: started
    finished                                  local: finished (written by the job function, before
                                              RQ's finish); a chunk: merged, the last one finishes
    failed, retry left (RQ requeues it)       requeued: local back to queued, a chunk's job stays started
    failed, no retry left                     failed (the job function's own error, or the reaper's)
    (any, after POST /jobs/<id>/cancel)       canceled: ours only; RQ's entries stay, and each one's
                                              begin finds the job ended and returns at once
"""

from collections.abc import Mapping

QUEUED, STARTED, FINISHED, FAILED, CANCELED = "queued", "started", "finished", "failed", "canceled"

# A job that has not ended: a worker may still begin, merge or end it.
ACTIVE = (QUEUED, STARTED)
# Where a job ends: the one list of terminal statuses.
ENDED = (FINISHED, FAILED, CANCELED)

TRANSITIONS: Mapping[str, frozenset[str]] = {
    QUEUED: frozenset({QUEUED, STARTED, *ENDED}),
    STARTED: frozenset({QUEUED, STARTED, *ENDED}),
    **{status: frozenset() for status in ENDED},
}


def may(current: str, new: str) -> bool:
    """Whether a record in status `current` may go to `new`."""
    return new in TRANSITIONS.get(current, frozenset())


def may_table() -> dict[str, dict[str, bool]]:
    """TRANSITIONS as the scripts' table MAY: MAY[current][new] is true where the move is allowed."""
    return {current: dict.fromkeys(sorted(allowed), True) for current, allowed in TRANSITIONS.items()}

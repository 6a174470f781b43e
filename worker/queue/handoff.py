"""What LeanWorker's scripts do in the job function's place: the begin, already done by the script that
took the entry, and the chunk's merge, left by the function for the script that finishes the entry.

The job functions (worker/tasks.py) ask here first: under stock SimpleWorker nothing is handed over, and
they make both round trips themselves (shared.job_store's `begin` and `merge_chunk`). One job runs at a
time in a worker process (a SimpleWorker runs it in its own process), so one hand-off is current.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.tally import Tally


@dataclass(frozen=True)
class Begun:
    """The begin's answer: the job's request, or None (and its status) if it had ended."""

    spec: dict[str, Any] | None
    status: str


@dataclass(frozen=True)
class Merge:
    """A chunk's partial answer, as shared.job_store's merge_chunk takes it."""

    index: int
    tally: Tally
    cpu_seconds: float
    host: str
    pids: Sequence[int]


@dataclass
class Handoff:
    """The entry running now: its begin, whether its merge may be left for the finish, and that merge."""

    entry_id: str
    begun: Begun
    merge_at_finish: bool
    merge: Merge | None = None


_current: Handoff | None = None


def start(handoff: Handoff) -> None:
    """The worker: this entry runs now, begun by its take."""
    global _current
    _current = handoff


def end(entry_id: str) -> Handoff | None:
    """The worker: the entry's run is over; what it handed over (None if it was not begun by the take)."""
    global _current
    found, _current = _current, None
    return found if found is not None and found.entry_id == entry_id else None


def begun(entry_id: str) -> Begun | None:
    """The job function: the begin done for its entry by the take, or None (then it begins itself)."""
    return _current.begun if _current is not None and _current.entry_id == entry_id else None


def leave_merge(entry_id: str, merge: Merge) -> bool:
    """The job function: True if the worker's finish will merge this chunk; False: merge it yourself."""
    if _current is None or _current.entry_id != entry_id or not _current.merge_at_finish:
        return False
    _current.merge = merge
    return True

"""Job functions for tests/worker/test_consumers.py, importable by name as RQ requires."""

import os

from rq import get_current_job

from services.tools.waiting import wait_for


def rendezvous(key: str, parties: int, timeout: float) -> int:
    """Arrive at `key`, then wait until `parties` jobs have arrived: all must be running at once.

    Returns this worker process's pid; raises if the others never came (they could not run meanwhile).
    """
    job = get_current_job()
    assert job is not None
    job.connection.incr(key)
    connection = job.connection
    wait_for(
        lambda: int(connection.get(key) or 0) >= parties or None, timeout, f"{parties} jobs together", 0.01
    )
    return os.getpid()

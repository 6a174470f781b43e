"""Job functions for tests/worker/test_consumers.py, importable by name as RQ requires."""

import os
import time

from rq import get_current_job


def rendezvous(key: str, parties: int, timeout: float) -> int:
    """Arrive at `key`, then wait until `parties` jobs have arrived: all must be running at once.

    Returns this worker process's pid; raises if the others never came (they could not run meanwhile).
    """
    job = get_current_job()
    assert job is not None
    job.connection.incr(key)
    deadline = time.monotonic() + timeout
    while int(job.connection.get(key) or 0) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{parties} jobs never ran at the same time")
        time.sleep(0.01)
    return os.getpid()

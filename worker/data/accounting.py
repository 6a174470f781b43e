"""The bytes a job moved, in its record: read from Redis by the workers, and pickled to pool processes.

What shows each mode moving data its way (GET /jobs/<id>: `bytes_read`, `bytes_pickled`): local reads
the dataset once, whatever its pool, and pickles only the tasks' few hundred bytes (a segment's name,
never the data); distributed reads each byte once, in its chunks' slices, and pickles nothing. Summed
over a job's runs and chunks: a chunk run twice (a retry) reads its slice twice, and says so.
"""

from functools import lru_cache
from typing import Any

from shared import bytes_moved
from shared.job_store import JobKeys
from shared.redis_script import NamedScript, lua_file

# The stack's totals and the record in one round trip; the record only while it exists (accounting.lua).
_ADD = lua_file(__file__, "accounting.lua")


@lru_cache(maxsize=8)
def _script(redis: Any) -> NamedScript:
    return NamedScript(redis, _ADD, ("record", "totals"), ("read", "pickled"))


def add(redis: Any, job_id: str, read: int, pickled: int) -> None:
    """Add a run's bytes read from Redis and pickled to pool processes to the job's record, and to the
    stack's totals (GET /metrics), which count them whether or not the record still exists."""
    keys = {"record": JobKeys.of(job_id).record, "totals": bytes_moved.KEY}
    _script(redis)(keys=keys, args={"read": read, "pickled": pickled})

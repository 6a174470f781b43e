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

# Added only while the record exists (accounting.lua).
_ADD = lua_file(__file__, "accounting.lua")


@lru_cache(maxsize=8)
def _script(redis: Any) -> NamedScript:
    return NamedScript(redis, _ADD, ("record",), ("read", "pickled"))


def add(redis: Any, job_id: str, read: int, pickled: int) -> None:
    """Add a run's bytes read from Redis and pickled to pool processes to the job's record."""
    _script(redis)(keys={"record": JobKeys.of(job_id).record}, args={"read": read, "pickled": pickled})
    # The stack's totals (GET /metrics), apart from the record: counted whether or not it still exists.
    bytes_moved.count(redis, read, pickled)

"""A queue entry's RQ job id names our job and, for a chunk, its index: `<job id>` for a local job's one
entry, `<job id>-<index>` for a chunk of a distributed or hybrid job.

So a worker's Lua script finds the job's record from the entry's id alone, without reading the entry's
data (RQ compresses it, and Lua has no zlib): worker.queue.lean begins the job in the script that takes
the entry. Job ids are 32 hex digits (uuid4().hex); RQ's own ids (uuid4 with dashes) never match.
"""

import string
import uuid

from shared.redis_script import lua_file

JOB_ID_LENGTH = 32

# `our_entry(id)`: the job id and chunk index that an entry's id names (entries.lua).
LUA = lua_file(__file__, "entries.lua", JOB_ID_LENGTH=JOB_ID_LENGTH)


def new_job_id() -> str:
    """A new job's id."""
    return uuid.uuid4().hex


def entry_id(job_id: str, index: int | None = None) -> str:
    """The RQ job id of a job's queue entry: its chunk `index`, or the whole job (None)."""
    return job_id if index is None else f"{job_id}-{index}"


def is_chunk(entry: str) -> bool:
    """Whether an entry's id names a chunk of one of our jobs (see entry_id), as entries.lua reads it."""
    job, dash, index = entry.partition("-")
    digits = index.isascii() and index.isdigit()
    return bool(dash) and digits and len(job) == JOB_ID_LENGTH and all(c in string.hexdigits for c in job)


def our_job(entry: str) -> str:
    """The job id that an entry's id names (see entry_id)."""
    return entry.split("-", 1)[0]

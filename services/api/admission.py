"""Admission control: a bound on the work accepted and not yet ended, checked and enqueued in one step.

Two counters in Redis hold that work: queue entries (MAX_QUEUED_ENTRIES) and work units
(MAX_QUEUED_UNITS). The check, the increments and every write of the enqueue run in one Lua script, so
concurrent submitters cannot overshoot and a refused call writes nothing. The writes are the very
commands that JobStore.create and RQ's enqueue_many stage in a pipeline: collected, not executed, then
replayed by the script after the check (RQ's own enqueue, only made conditional). Each job's record keeps
its share, and the step that ends the job (shared/job_store.py) takes it off the counters: they follow
the jobs' own state, so no fault makes them drift (a job ends once, whoever ends it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from redis import Redis
from redis.client import Pipeline

from shared.job_store import ADMITTED_ENTRIES, ADMITTED_FIELDS, ADMITTED_UNITS, TRIM_LUA
from shared.redis_script import NamedScript, lua_file
from shared.settings import get_settings

# Ended records trimmed at most per call, when Redis is over the memory share (admission.lua).
ADMIT_TRIM_BATCH = 64
# The check and the writes, in one step (admission.lua), after job_store's trim_ended.
_ADMIT = TRIM_LUA + lua_file(
    __file__, "admission.lua", ADMIT_TRIM_BATCH=ADMIT_TRIM_BATCH, ADMITTED_FIELDS=ADMITTED_FIELDS
)
_ADMIT_ARGS = ("max_entries", "max_units", "memory_share", "entries", "units")


@dataclass(frozen=True)
class Share:
    """What one job adds to the counters, kept in its record until it ends."""

    record: str  # its record's key
    entries: int
    units: int


class QueueFull(Exception):
    """The call would take the work waiting past a bound: nothing was written (429, Retry-After)."""

    def __init__(self, entries: int, units: int, why: str) -> None:
        settings = get_settings()
        self.entries, self.units = entries, units
        self.max_entries, self.max_units = settings.max_queued_entries, settings.max_queued_units
        self.retry_after = settings.queue_full_retry_after
        super().__init__(f"the queue is full: {why}. Nothing was enqueued: retry after {self.retry_after} s")


class TooMuchWork(ValueError):
    """The call alone exceeds a bound: it could never be admitted (422), whatever waits."""


def execute(redis: Redis, shares: list[Share], stage: Callable[[Pipeline], None]) -> None:
    """The writes that `stage` stages in a pipeline, run if the shares fit under the bounds, atomically.

    Raises TooMuchWork if they could never fit, QueueFull if they do not fit now; nothing is written then.
    """
    settings = get_settings()
    entries, units = sum(s.entries for s in shares), sum(s.units for s in shares)
    for name, adding, bound in (
        ("MAX_QUEUED_ENTRIES", entries, settings.max_queued_entries),
        ("MAX_QUEUED_UNITS", units, settings.max_queued_units),
    ):
        if adding > bound:
            raise TooMuchWork(f"this request alone is {adding:,} of the {bound:,} that {name} admits at once")
    # A cheap look first: under a flood most calls are refused, and a refusal should cost one round trip,
    # not the staging of RQ jobs. It only ever refuses what the script would refuse at that moment; the
    # script alone admits.
    waiting, waiting_units = queued(redis)
    if waiting + entries > settings.max_queued_entries or waiting_units + units > settings.max_queued_units:
        raise _over_bounds(waiting, waiting_units, entries, units)
    commands: list[Any] = []
    with redis.pipeline() as pipe:  # never executed: only its staged commands are taken
        stage(pipe)
        # redis-py's staged commands: (words, options); the options only shape the replies, unused here.
        for words, _options in pipe.command_stack:
            commands += [len(words), *words]
    reply = _admit_script(redis)(
        keys={"entries": ADMITTED_ENTRIES, "units": ADMITTED_UNITS},
        args={
            "max_entries": settings.max_queued_entries,
            "max_units": settings.max_queued_units,
            "memory_share": settings.max_redis_memory_share,
            "entries": entries,
            "units": units,
        },
        arg_groups=[{"record": s.record, "entries": s.entries, "units": s.units} for s in shares],
        rest=commands,
    )
    if reply[0] == 0:
        raise _over_bounds(int(reply[1]), int(reply[2]), entries, units)
    if reply[0] == -1:
        used, maxmemory = int(reply[1]), int(reply[2])
        raise QueueFull(
            *queued(redis),
            f"Redis uses {used:,} bytes, over MAX_REDIS_MEMORY_SHARE ({settings.max_redis_memory_share:g}) "
            f"of its maxmemory ({maxmemory:,}): the rest is kept for the work accepted to finish",
        )


@lru_cache(maxsize=8)
def _admit_script(redis: Redis) -> NamedScript:
    """The admission script on this client, built (and hashed) once, not per request."""
    return NamedScript(
        redis,
        _ADMIT,
        ("entries", "units"),
        _ADMIT_ARGS,
        rest="commands",
        arg_group=("shares", ("record", "entries", "units")),
    )


def _over_bounds(waiting: int, waiting_units: int, entries: int, units: int) -> QueueFull:
    settings = get_settings()
    return QueueFull(
        waiting,
        waiting_units,
        f"{waiting:,} queue entries and {waiting_units:,} work units are waiting (at most "
        f"{settings.max_queued_entries:,} and {settings.max_queued_units:,}: MAX_QUEUED_ENTRIES, "
        f"MAX_QUEUED_UNITS) and this request adds {entries:,} and {units:,}",
    )


def queued(redis: Any) -> tuple[int, int]:
    """The work accepted and not yet ended: (queue entries, work units)."""
    entries, units = redis.mget(ADMITTED_ENTRIES, ADMITTED_UNITS)
    return int(entries or 0), int(units or 0)

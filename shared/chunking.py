"""Splitting a job's range of work units into chunks, and choosing the chunk size when the job does not.

Every chunk costs a fixed overhead besides its work: about a millisecond through the queue (take, start,
merge, finish; `make bench` measures it) and a fraction of one as a pool task. The automatic size keeps
that overhead at most OVERHEAD_SHARE (settings) of the work, and otherwise makes as many chunks as load
balancing wants: `per_way` chunks for each of `ways` consumers, in a multiple of `ways` so that none is
left with one chunk more than the others.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ChunkPlan:
    """The chunk size used for a job and where it came from."""

    size: int
    auto: bool  # True: chosen here from the estimated work; False: fixed by the job


def split(units: range, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive half-open (lo, hi) chunks of at most chunk_size units covering `units` exactly."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    return [(lo, min(lo + chunk_size, units.stop)) for lo in range(units.start, units.stop, chunk_size)]


def auto_chunk_count(seconds: float, ways: int, per_way: int, min_chunk_seconds: float) -> int:
    """How many chunks work of `seconds` (one process) makes for `ways` consumers.

    At most `ways * per_way` (balance needs no more); none shorter than `min_chunk_seconds` (the
    overhead bound), except a job too small for even one such chunk, which is one chunk; and a
    multiple of `ways` once there are at least `ways`.
    """
    if ways < 1 or per_way < 1:
        raise ValueError("ways and per_way must be at least 1")
    affordable = int(seconds // min_chunk_seconds) if min_chunk_seconds > 0 else ways * per_way
    count = max(1, min(ways * per_way, affordable))
    return count - count % ways if count >= ways else count


def plan_chunks(
    units: int,
    requested: int | None,
    estimate_seconds: Callable[[], float],
    ways: int,
    per_way: int,
    chunk_overhead_seconds: float,
    overhead_share: float,
) -> ChunkPlan:
    """The job's own chunk size if it set one; else the automatic one for its work in seconds, which
    `estimate_seconds()` gives (called only then)."""
    if requested:
        return ChunkPlan(requested, auto=False)
    count = auto_chunk_count(estimate_seconds(), ways, per_way, chunk_overhead_seconds / overhead_share)
    return ChunkPlan(max(1, -(-units // count)), auto=True)

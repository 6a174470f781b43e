"""Splitting a range of work units into chunks, and how many chunks an amount of work affords.

Every chunk costs a fixed overhead besides its work: about a millisecond through the queue (take, start,
merge, finish; `make bench` measures it) and a fraction of one as a pool task. An automatic chunk count
keeps that overhead at most CHUNK_OVERHEAD_SHARE (settings) of the work, and otherwise makes as many
chunks as load balancing wants. Which counts a job gets is its plan's business (shared.plan).
"""


def split(units: range, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive half-open (lo, hi) chunks of at most chunk_size units covering `units` exactly."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    return [(lo, min(lo + chunk_size, units.stop)) for lo in range(units.start, units.stop, chunk_size)]


def auto_chunk_count(seconds: float, most: int, min_chunk_seconds: float) -> int:
    """How many chunks work of `seconds` (one process) makes: at most `most` (balance needs no more),
    none shorter than `min_chunk_seconds` (the overhead bound), and at least one."""
    if most < 1:
        raise ValueError("most must be at least 1")
    affordable = int(seconds // min_chunk_seconds) if min_chunk_seconds > 0 else most
    return max(1, min(most, affordable))


def auto_chunk_size(units: int, seconds: float, most: int, min_chunk_seconds: float) -> int:
    """The chunk size that cuts `units` units of work `seconds` into auto_chunk_count chunks."""
    return max(1, -(-units // auto_chunk_count(seconds, most, min_chunk_seconds)))

"""Splitting a job's range of work units into chunks for the pool."""


def default_chunk_size(units: int, processes: int, chunks_per_process: int) -> int:
    """A chunk size giving about `chunks_per_process` chunks to each process (at least 1 unit)."""
    target_chunks = max(1, processes * chunks_per_process)
    return max(1, -(-units // target_chunks))


def split(units: range, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive half-open (lo, hi) chunks of at most chunk_size units covering `units` exactly."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    return [(lo, min(lo + chunk_size, units.stop)) for lo in range(units.start, units.stop, chunk_size)]


def chunk_size_for(units: int, requested: int | None, processes: int, chunks_per_process: int) -> int:
    """The job's own chunk size if it set one, else one giving each process about n chunks."""
    return requested or default_chunk_size(units, processes, chunks_per_process)

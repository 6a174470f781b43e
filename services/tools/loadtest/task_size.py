"""`make compare TASK=<seconds>`: each job cut into tasks the cost model puts at about that long, as make
sweep's points are (shared.cost; the request's `chunk_size`: a pool task for local, a queue entry for
distributed, hybrid and the queue peers, a task of the ceiling's), so that every approach of make compare
runs at a task size of the sweep's instead of the planner's own."""

from services.tools.stack import host_settings
from shared.cost import estimate_seconds
from shared.settings import Settings


def chunk_for(kernel: str, size: int, seconds: float, settings: Settings | None = None) -> int:
    """Units per task so that a job of `size` units falls into tasks modelled at about `seconds` each
    (ValueError if that is over MAX_CHUNKS tasks per job, or not a positive duration)."""
    settings = settings or host_settings()
    if not seconds > 0:
        raise ValueError("a task duration must be more than 0 seconds")
    tasks = max(1, round(estimate_seconds(kernel, 0, size, settings) / seconds))
    if tasks > settings.max_chunks:
        raise ValueError(
            f"tasks of {seconds:g} s cut a job of {size:,} {kernel} units into {tasks:,}, more than "
            f"MAX_CHUNKS ({settings.max_chunks:,}); use a smaller --size"
        )
    return -(-size // tasks)

"""The data axis's points: one task duration, `work` from CPU-heavy to I/O-heavy, and the jobs for each.

Every point runs `bytes` jobs over the one dataset of the run (each job a pass over all of it), cut into
tasks the cost model (shared.cost) puts at the same duration, so the fixed cost per task is the same at
every point and only the bytes per task change: `work` hashing rounds per byte set how many bytes a
CPU-millisecond of work needs, from a few hundred (the heaviest `work`) to tens of thousands (`work` 0,
binned at C speed). The `work` values are log-spaced from the heaviest down to 1, then 0: `work` is an
integer, and 0 is its one I/O-heavy setting, so the step from 1 to 0 is the largest.
A hybrid entry is cut into pool tasks by the plan (shared.plan); a task's blocks are chosen so that cut
is even (every pool task the same blocks), as near the duration as that allows: at the CPU-heavy end a
task is a few blocks, and 5 cut into 3 + 2 would idle one of two pool processes a third of the time,
a loss of the split, not of moving data.
A point holds about `work_seconds` of one process's work, in as many jobs as that takes (at least
`min_jobs`); each job is the whole dataset, so the CPU-heavy points have few jobs and the I/O-heavy
ones many.
"""

from services.tools.stack import host_settings
from services.tools.sweep.points import Point, duration
from shared.chunking import auto_chunk_count
from shared.cost import estimate_seconds
from shared.kernels.dataset import BLOCK, blocks
from shared.settings import Settings


def works(count: int, heaviest: int) -> list[int]:
    """`count` work values: log-spaced integers from `heaviest` down to 1, then 0 (ValueError if there
    are not as many distinct ones)."""
    if count < 2 or heaviest < 1:
        raise ValueError("the data axis needs at least 2 points and a heaviest work of 1 or more")
    steps = count - 1  # the nonzero ones
    found = sorted(
        {round(heaviest ** (1 - i / (steps - 1))) if steps > 1 else heaviest for i in range(steps)},
        reverse=True,
    )
    if len(found) < steps:
        raise ValueError(f"{count} points need more distinct work values than 0..{heaviest} has")
    return [*found, 0]


def bytes_per_cpu_ms(work: int, settings: Settings | None = None) -> float:
    """What the cost model puts through one CPU-millisecond of the kernel at this `work`."""
    return BLOCK / (1000 * estimate_seconds("bytes", 0, 1, settings, {"work": work}))


def even_chunk(target: int, work: int, settings: Settings) -> int:
    """The blocks per task nearest `target` (the smaller on a tie) that the hybrid plan cuts into as many
    pool tasks as it cuts `target`, all of the same blocks; `target` itself if none is within half of it."""

    def pool_tasks(chunk: int) -> int:
        seconds = estimate_seconds("bytes", 0, chunk, settings, {"work": work})
        overhead = settings.pool_task_overhead_seconds / settings.chunk_overhead_share
        return auto_chunk_count(seconds, settings.pool_tasks, overhead)

    count = pool_tasks(target)
    for step in range(target // 2 + 1):
        for chunk in (target - step, target + step):
            if chunk >= 1 and chunk % count == 0 and pool_tasks(chunk) == count:
                return chunk
    return target


def plan_data_point(
    seconds: float,
    work: int,
    dataset_bytes: int,
    work_seconds: float,
    min_jobs: int,
    settings: Settings | None = None,
) -> Point:
    """The jobs of one point: tasks of whole blocks modelled at about `seconds` (cut evenly by the hybrid
    plan: even_chunk), over the whole dataset."""
    settings = settings or host_settings()
    units = blocks(dataset_bytes)
    params = {"work": work}
    chunk = min(units, max(1, round(seconds / estimate_seconds("bytes", 0, 1, settings, params))))
    chunk = min(units, even_chunk(chunk, work, settings))
    tasks = -(-units // chunk)
    if tasks > settings.max_chunks:
        raise ValueError(
            f"work {work}: {tasks:,} tasks of {duration(seconds)} per job is more than MAX_CHUNKS "
            f"({settings.max_chunks:,}); use a smaller dataset or longer tasks"
        )
    job_seconds = estimate_seconds("bytes", 0, units, settings, params)
    jobs = max(min_jobs, round(work_seconds / job_seconds))
    return Point(seconds, dataset_bytes, chunk, jobs, work)


def plan_data_axis(
    seconds: float,
    count: int,
    heaviest: int,
    dataset_bytes: int,
    work_seconds: float,
    min_jobs: int,
    settings: Settings | None = None,
) -> list[Point]:
    """Every point of the data axis, CPU-heavy first (ValueError if a point cannot be planned)."""
    if seconds <= 0 or dataset_bytes < 1 or min_jobs < 1:
        raise ValueError("the data axis needs a task duration above 0, a dataset and a job")
    return [
        plan_data_point(seconds, w, dataset_bytes, work_seconds, min_jobs, settings)
        for w in works(count, heaviest)
    ]

"""The data axis as an engineer reads it: each line's share of the ceiling per point, from CPU-heavy to
I/O-heavy, beside the primes point of the same task size; and a sentence per line saying from how many
bytes per task moving them makes it lose (services/tools/sweep/data_knee.py)."""

from rich.table import Table

from services.tools.loadtest.spread import show
from services.tools.loadtest.traffic_table import human_bytes
from services.tools.sweep.data_knee import DataPoint, data_knee
from services.tools.sweep.points import duration
from services.tools.sweep.rows import SweepPoint, SweepResult


def line_points(result: SweepResult, key: str) -> list[DataPoint]:
    """A line's points on the data axis (medians over the rounds), by bytes per task."""
    found = []
    for point in result.axis_points:
        share = point.share(key)
        if share is not None and point.bytes_per_task is not None:
            per_ms = point.bytes_per_cpu_ms or 0.0
            found.append(DataPoint(point.bytes_per_task, per_ms, share["median"]))
    return sorted(found, key=lambda p: p.per_task)


def data_sentences(result: SweepResult) -> list[str]:
    """A sentence per line: where moving bytes makes it lose, beside its figure on primes."""
    found = []
    reference = result.reference
    for line in result.lines:
        points = line_points(result, line.key)
        if not points:
            continue
        share = reference.share(line.key) if reference else None
        primes = share["median"] if share else None
        found.append(data_knee(line.label, points, primes).sentence())
    return found


def _exact(result: SweepResult, point: SweepPoint) -> str:
    ran = [c for line in result.lines if (c := point.row(line.key))]
    exact = sum(c.exact for c in ran) + point.ceiling.exact_rounds * point.jobs
    jobs = sum(c.jobs for c in ran) + point.ceiling.rounds * point.jobs
    return f"{exact}/{jobs}"


def data_table(result: SweepResult) -> Table:
    """Each line's share of the ceiling at each point of the data axis, the primes point first."""
    size = human_bytes(result.dataset_bytes)
    how = ", each round at its ceiling's machine speed" if result.at_speed else ""
    table = Table(
        title=result.title,
        caption=f"% of the same round's ceiling (bare Pool over the data already in one container's shared "
        f"memory, same tasks){how}: median (min–max) over the rounds. "
        f"Each bytes job is one pass over the {size} dataset; bytes/CPU-ms: per millisecond of the "
        "kernel's CPU as run. exact: jobs with the exact answer / jobs run, the ceiling's included",
    )
    for column in ("point", "work", "bytes/task", "bytes/CPU-ms", "task CPU", "tasks/job", "jobs"):
        table.add_column(column, justify="left" if column == "point" else "right", no_wrap=True)
    table.add_column("ceiling jobs/s", justify="right", no_wrap=True)
    for line in result.lines:
        table.add_column(f"{line.key} %", justify="right", no_wrap=True)
    table.add_column("exact", justify="right", no_wrap=True)
    reference = [result.reference] if result.reference else []
    for index, point in enumerate([*reference, *result.axis_points]):
        table.add_row(
            "primes" if point.work is None else "bytes",
            "-" if point.work is None else str(point.work),
            human_bytes(point.bytes_per_task),
            human_bytes(point.bytes_per_cpu_ms),
            duration(point.task),
            str(point.tasks_per_job),
            str(point.jobs),
            show(point.ceiling.jobs_per_second),
            *(show(point.share(line.key), ".0f", 100) for line in result.lines),
            _exact(result, point),
            end_section=index == 0 and bool(reference),
        )
    return table

"""The sweep as an engineer reads it: each line's share of the ceiling per task size, where the cores
went at each point, and each line's knee in a sentence. Drawn from the report's JSON (make results
draws it again from the file)."""

from rich.console import Console
from rich.table import Table

from services.tools.loadtest.accounting import LINES, SHORT
from services.tools.loadtest.spread import median_only, show
from services.tools.sweep.crossover import crossover
from services.tools.sweep.points import duration
from services.tools.sweep.rows import SweepResult


def sentences(result: SweepResult) -> list[str]:
    """A sentence per approach: the smallest task from which it still reaches the threshold."""
    found = []
    for line in result.lines:
        points = [(task, share["median"]) for task, share in result.shares(line.key)]
        if points:
            found.append(crossover(line.label, points, result.threshold).sentence())
    return found


def render(result: SweepResult, console: Console) -> None:
    """The sweep table, where the cores went at each point, then the knees."""
    table = Table(
        title=result.title,
        caption="% of the same round's ceiling (bare Pool, same tasks): median (min–max) over the rounds; "
        "exact: jobs with the exact answer / jobs run, the ceiling's included",
    )
    table.add_column("task", justify="right", no_wrap=True)
    table.add_column("tasks/job", justify="right")
    table.add_column("ceiling jobs/s", justify="right", no_wrap=True)
    for line in result.lines:
        table.add_column(f"{line.key} %", justify="right", no_wrap=True)
    table.add_column("exact", justify="right", no_wrap=True)
    for point in result.points:
        cells = [point.cells.get(line.key) for line in result.lines]
        ran = [c for c in cells if c]
        exact = sum(c.exact for c in ran) + point.ceiling.exact_rounds * point.jobs
        jobs = sum(c.jobs for c in ran) + point.ceiling.rounds * point.jobs
        table.add_row(
            duration(point.task),
            str(point.tasks_per_job),
            show(point.ceiling.jobs_per_second),
            *(show(c.of_ceiling if c else None, ".0f", 100) for c in cells),
            f"{exact}/{jobs}",
        )
    console.print(table)
    where = Table(
        title="Where the host's cores went at each point: % of cores x wall, median over the rounds",
        caption="from cgroups and /proc; `rest of the host` is the difference, within about ±1 %",
    )
    for column in ("task", "line", *(SHORT[name] for name in LINES)):
        where.add_column(column, justify="left" if column == "line" else "right", no_wrap=True)
    for point in result.points:
        for index, line in enumerate(result.lines):
            cell = point.cells.get(line.key)
            if cell:
                where.add_row(
                    duration(point.task) if index == 0 else "",
                    line.key,
                    *(show(median_only(cell.accounting[name]), ".1f", 100) for name in LINES),
                    end_section=index == len(result.lines) - 1,
                )
    console.print(where)
    for sentence in sentences(result):
        console.print(f"- {sentence}")

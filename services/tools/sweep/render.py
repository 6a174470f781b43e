"""The sweep as an engineer reads it: each line's share of the ceiling per task size, where the cores
went at each point, and each line's knee in a sentence. Drawn from the report's JSON (make results
draws it again from the file). The data axis has its own first table and sentences
(services/tools/sweep/data_render.py); the rest is the same."""

from rich.console import Console
from rich.table import Table

from services.tools.loadtest.accounting import LINES, SHORT
from services.tools.loadtest.spread import median_only, show
from services.tools.sweep.crossover import crossover
from services.tools.sweep.data_render import data_sentences, data_table
from services.tools.sweep.points import duration
from services.tools.sweep.rows import SweepResult
from services.tools.sweep.traffic_table import traffic_table


def sentences(result: SweepResult) -> list[str]:
    """A sentence per approach: the smallest task from which it still reaches the threshold (on the data
    axis: from how many bytes per task moving them makes it lose)."""
    if result.axis == "data":
        return data_sentences(result)
    found = []
    for line in result.lines:
        points = [(task, share["median"]) for task, share in result.shares(line.key)]
        if points:
            found.append(crossover(line.label, points, result.threshold).sentence())
    return found


def task_table(result: SweepResult, raw: bool = False) -> Table:
    """Each line's share of the ceiling at each task duration: each round read at its ceiling's machine
    speed (measured.at_speed), or as measured with `raw`."""
    at_speed = result.at_speed and not raw
    how = "each round at its ceiling's machine speed (kernel CPU per task)" if at_speed else "as measured"
    table = Table(
        title=result.title + (": shares as measured" if raw else ""),
        caption=f"% of the same round's ceiling (bare Pool, same tasks), {how}: median (min–max) over the "
        "rounds; exact: jobs with the exact answer / jobs run, the ceiling's included",
    )
    table.add_column("task", justify="right", no_wrap=True)
    table.add_column("tasks/job", justify="right")
    table.add_column("ceiling jobs/s", justify="right", no_wrap=True)
    for line in result.lines:
        table.add_column(f"{line.key} %", justify="right", no_wrap=True)
    table.add_column("exact", justify="right", no_wrap=True)
    for point in result.points:
        ran = [c for line in result.lines if (c := point.row(line.key))]
        exact = sum(c.exact for c in ran) + point.ceiling.exact_rounds * point.jobs
        jobs = sum(c.jobs for c in ran) + point.ceiling.rounds * point.jobs
        table.add_row(
            duration(point.task),
            str(point.tasks_per_job),
            show(point.ceiling.jobs_per_second),
            *(show(point.share(line.key, raw), ".0f", 100) for line in result.lines),
            f"{exact}/{jobs}",
        )
    return table


def render(result: SweepResult, console: Console) -> None:
    """The sweep table, where the cores went at each point, then the knees."""
    console.print(data_table(result) if result.axis == "data" else task_table(result))
    if result.axis == "task" and result.at_speed:
        console.print(task_table(result, raw=True))
    where = Table(
        title="Where the host's cores went at each point: % of cores x wall, median over the rounds",
        caption="from cgroups and /proc; `rest of the host` is the difference, within about ±1 %",
    )
    for column in (result.axis_name, "line", *(SHORT[name] for name in LINES)):
        where.add_column(column, justify="left" if column == "line" else "right", no_wrap=True)
    for point in result.points:
        # The stack's cells only: a line in one container runs beside the stack, not in it.
        cells = [(line.key, point.cells[line.key]) for line in result.lines if line.key in point.cells]
        for index, (key, cell) in enumerate(cells):
            where.add_row(
                result.label(point) if index == 0 else "",
                key,
                *(show(median_only(cell.accounting[name]), ".1f", 100) for name in LINES),
                end_section=index == len(cells) - 1,
            )
    console.print(where)
    console.print(per_task_table(result))
    console.print(traffic_table(result))
    for sentence in sentences(result):
        console.print(f"- {sentence}")


# The account's lines that are CPU spent on the work (not idle, not the rest of the host), per task.
SPENT = ("kernels", "workers_other", "redis", "api", "engine", "load_generator")
# The stack's own apparatus: the engine and the load generator are shown, not added, since the engine
# serves every container on the host (a busy host's other stacks included).
APPARATUS = ("workers_other", "redis", "api")


def per_task_table(result: SweepResult) -> Table:
    """CPU per task by the account's lines (ms, median over the rounds), the apparatus beside the kernel."""
    table = Table(
        title="CPU per task (pool task or queue entry), ms, median over the rounds",
        caption="core-seconds of each line / tasks run: the kernel is the work; the apparatus (workers "
        "besides kernels, Redis, API) is what the knee is made of (ceiling: its Pool's processes as kernels, "
        "its parent as workers; threads and processes likewise)",
    )
    for column in (result.axis_name, "line", *(SHORT[name] for name in SPENT), "apparatus", "of the kernel"):
        table.add_column(column, justify="left" if column == "line" else "right", no_wrap=True)
    for point in result.points:
        keys = [key for key in ("ceiling", *(line.key for line in result.lines)) if point.per_task.get(key)]
        for index, key in enumerate(keys):
            spent = point.per_task[key]
            ms = {name: 1000 * s["median"] if (s := spent[name]) else 0.0 for name in SPENT}
            apparatus = sum(ms[name] for name in APPARATUS)
            table.add_row(
                result.label(point) if index == 0 else "",
                key,
                *(f"{ms[name]:.2f}" for name in SPENT),
                f"{apparatus:.2f}",
                f"{100 * apparatus / ms['kernels']:.0f} %" if ms["kernels"] else "-",
                end_section=index == len(keys) - 1,
            )
    return table

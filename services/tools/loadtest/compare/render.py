"""make compare's tables: every cell beside the ceiling (and the rows in one container, no queue, under
it; the queue peers in containers last), where the host's cores went in each cell, bytes moved."""

from rich.console import Console
from rich.table import Table

from services.tools.loadtest.accounting import LINES, SHORT
from services.tools.loadtest.compare import traffic
from services.tools.loadtest.compare.rows import Comparison
from services.tools.loadtest.spread import median_only, show
from services.tools.loadtest.traffic_table import human_bytes

COLUMNS = (
    "cell",
    "workers",
    "mode",
    "exact",
    "jobs/s",
    "% of ceiling",
    "vs 1 process",
    "p50 s",
    "cores",
    "throttled %",
    "held s",
)
LEFT = ("cell", "workers", "mode")


def render(result: Comparison, console: Console) -> None:
    """The comparison table, the ceiling first; then where the cores went, per cell."""
    table = Table(
        title=result.title,
        caption="median (min–max) over the rounds; % of ceiling per round; cores: the workers' CPU / wall; "
        "throttled: the workers' CFS periods their quota stopped them in, held: seconds held back (cgroups; "
        "- : no quota, no period)",
    )
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in LEFT else "right", no_wrap=True)
    table.add_column("note")
    ceiling = result.ceiling
    table.add_row(
        "ceiling",
        f"bare Pool({result.budget}), --cpus {result.budget}",
        "-",
        f"{ceiling.exact_rounds}/{ceiling.rounds}",
        show(ceiling.jobs_per_second),
        "100",
        show(ceiling.efficiency, ".0f", 100),
        *([""] * 4),
        "no queue, no API",
        end_section=not result.runtimes,
    )
    for index, r in enumerate(result.runtimes):
        table.add_row(
            r.label,
            r.layout,
            "-",
            f"{r.exact}/{r.jobs}",
            show(r.jobs_per_second),
            show(r.of_ceiling, ".0f", 100),
            show(r.efficiency, ".0f", 100),
            "",
            show(median_only(r.cores)),
            "",
            "",
            r.note,
            end_section=index == len(result.runtimes) - 1,
        )
    for c in result.cells:
        table.add_row(
            c.topology,
            c.layout,
            c.mode,
            f"{c.exact}/{c.jobs}",
            show(c.jobs_per_second),
            show(c.of_ceiling, ".0f", 100),
            show(c.efficiency, ".0f", 100),
            show(median_only(c.latency_p50)),
            show(median_only(c.worker_cores)),
            show(c.throttled_share, ".1f", 100),
            show(c.throttled_seconds, ".2f"),
            c.note,
            end_section=bool(result.peers) and c is result.cells[-1],
        )
    for p in result.peers:
        table.add_row(
            f"{p.topology} {p.label}",
            p.layout,
            "distributed",
            f"{p.exact}/{p.jobs}",
            show(p.jobs_per_second),
            show(p.of_ceiling, ".0f", 100),
            show(p.efficiency, ".0f", 100),
            "",
            show(median_only(p.cores)),
            show(p.throttled_share, ".1f", 100),
            show(p.throttled_seconds, ".2f"),
            p.note,
        )
    console.print(table)
    where = Table(
        title="Where the host's cores went in each cell: % of cores x wall, median over the rounds",
        caption="from cgroups and /proc; `rest of the host` is the difference, within about ±1 %",
    )
    for column in ("cell", "mode", *(SHORT[line] for line in LINES)):
        where.add_column(column, justify="left" if column in ("cell", "mode") else "right", no_wrap=True)
    for c in result.cells:
        shares = (median_only(c.accounting[line]) for line in LINES)
        where.add_row(c.topology + c.variant, c.mode, *(show(s, ".1f", 100) for s in shares))
    console.print(where)
    console.print(traffic_table(result))


def traffic_table(result: Comparison) -> Table:
    """Bytes moved per job in each cell: the containers' network counters, Redis's, read and pickled."""
    table = traffic.table(
        "Bytes moved per job in each cell, median over the rounds", ("cell", "mode"), ("cell", "mode")
    )
    for c in result.cells:
        figures = (median_only(c.traffic.get(name)) for name in traffic.FIELDS)
        table.add_row(c.topology + c.variant, c.mode, *(human_bytes(f and f["median"]) for f in figures))
    return table

"""make sweep's bytes: what each line moved per job at each point (compare/traffic.py counts them)."""

from rich.table import Table

from services.tools.loadtest.compare import traffic
from services.tools.loadtest.traffic_table import human_bytes
from services.tools.sweep.rows import SweepResult


def traffic_table(result: SweepResult) -> Table:
    """Bytes per job by line and point: the containers' network counters, Redis's, read and pickled."""
    table = traffic.table(
        "Bytes moved per job at each point, median over the rounds", (result.axis_name, "line"), ("line",)
    )
    for point in result.points:
        cells = [(line.key, point.cells[line.key]) for line in result.lines if line.key in point.cells]
        for index, (key, cell) in enumerate(cells):
            figures = (cell.traffic.get(name) for name in traffic.FIELDS)
            table.add_row(
                result.label(point) if index == 0 else "",
                key,
                *(human_bytes(f and f["median"]) for f in figures),
                end_section=index == len(cells) - 1,
            )
    return table

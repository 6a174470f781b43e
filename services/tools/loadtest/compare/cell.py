"""One cell in one round: a load test on the stack as it is, as a typed row beside that round's ceiling."""

from dataclasses import asdict
from pathlib import Path

from services.tools.loadtest.compare.rows import Baseline, CeilingRound, RoundRow
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.loadtest.compare.summary import round_row
from services.tools.loadtest.session import Target, run_load_test
from services.tools.loadtest.topologies import Cell
from services.tools.loadtest.workload import Workload


def run_cell(
    stack: ComposeStack,
    cell: Cell,
    workload: Workload,
    reports: Path,
    ceiling: CeilingRound,
    baseline: Baseline,
    index: int,
) -> RoundRow:
    """Load the stack (already configured as `cell.topology`) with `workload`; its report's row.

    Measured by the cgroup counters alone (`watch=False`): per-second streams would cost the host a few
    per cent that the cell would then be charged for.
    """
    report = run_load_test(
        Target(stack.url, stack.project),
        workload,
        reports,
        label=f"loadtest-{cell.topology.name}",
        baseline=asdict(baseline),
        watch=False,
    )
    return round_row(report, ceiling, index)

"""`python -m services.tools.sweep.agree [A.json B.json]`: do two sweeps say the same thing?

Every line's share of the ceiling at every point, as the sweep's own tables read it (the median over the
rounds, at the ceiling's machine speed where the reports have it), from sweep A and from sweep B beside
it, with the gap in points; then how many points lie within ±5 points (issue 19: two consecutive
`make sweep` runs agree within that at every point of every line). Points are matched by the task
duration they aimed at (data axis: by `work` too), so both sweeps must have been planned alike; lines by
key. Without files: the two newest reports/sweep-*.json (--axis data: data-axis-*.json).
"""

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from services.tools.sweep.rows import SweepPoint, SweepResult, load

TOLERANCE = 0.05
PIPED_WIDTH = 200


@dataclass(frozen=True)
class Gap:
    """One line at one point in both sweeps: its median share of the ceiling in each."""

    line: str  # its label in sweep A
    point: str  # the point as sweep A's tables name it
    a: float
    b: float

    @property
    def points(self) -> float:
        """B minus A, in percentage points."""
        return 100 * (self.b - self.a)

    def within(self, tolerance: float = TOLERANCE) -> bool:
        # Rounded as the tables show it: a gap printed as 5 points is within ±5.
        return round(abs(self.points)) <= round(100 * tolerance)


def _key(point: SweepPoint) -> tuple[int | None, float]:
    return (point.work, round(point.seconds, 9))


def gaps(a: SweepResult, b: SweepResult) -> list[Gap]:
    """Every line of A that B ran too, at every point both ran it, in A's order; ValueError when the two
    were not planned alike (another axis, other points)."""
    if a.axis != b.axis:
        raise ValueError(f"one sweep is on the {a.axis} axis, the other on the {b.axis} axis")
    if [_key(p) for p in a.points] != [_key(p) for p in b.points]:
        raise ValueError(
            "the sweeps aimed at different points: "
            f"{', '.join(a.label(p) for p in a.points)} against {', '.join(b.label(p) for p in b.points)}"
        )
    in_b = {line.key for line in b.lines}
    found = []
    for line in a.lines:
        if line.key not in in_b:
            continue
        for pa, pb in zip(a.points, b.points, strict=True):
            sa, sb = pa.share(line.key), pb.share(line.key)
            if sa is not None and sb is not None:
                found.append(Gap(line.label, a.label(pa), sa["median"], sb["median"]))
    return found


def verdict(found: Sequence[Gap], tolerance: float = TOLERANCE) -> str:
    """`27 of 28 points within ±5 points; the widest: distributed at 1.1 ms, +7 points.`"""
    if not found:
        return "The two sweeps have no line at a point in common."
    held = sum(gap.within(tolerance) for gap in found)
    widest = max(found, key=lambda gap: abs(gap.points))
    return (
        f"{held} of {len(found)} points within ±{100 * tolerance:.0f} points; the widest: "
        f"{widest.line} at {widest.point}, {round(widest.points):+d} points."
    )


def table(found: Sequence[Gap], names: tuple[str, str], tolerance: float = TOLERANCE) -> Table:
    """A row per line and point: A's share, B's, the gap, and whether it is within the tolerance."""
    grid = Table(title=f"% of the ceiling, median over the rounds: {names[0]} (A) and {names[1]} (B)")
    for column in ("line", "task", "A %", "B %", "B - A"):
        grid.add_column(column, justify="left" if column in ("line", "task") else "right")
    grid.add_column(f"within ±{100 * tolerance:.0f}")
    for gap in found:
        grid.add_row(
            gap.line,
            gap.point,
            f"{100 * gap.a:.0f}",
            f"{100 * gap.b:.0f}",
            f"{round(gap.points):+d}",
            "yes" if gap.within(tolerance) else "NO",
        )
    return grid


def newest(reports: Path, axis: str) -> list[Path]:
    """The two newest reports of an axis in `reports`, oldest first (their names carry their time)."""
    name = "sweep" if axis == "task" else "data-axis"
    return sorted(reports.glob(f"{name}-*.json"))[-2:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.sweep.agree", description=__doc__)
    parser.add_argument(
        "files", nargs="*", type=Path, help="sweep A's report, then B's (default: newest two)"
    )
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--axis", choices=("task", "data"), default="task")
    parser.add_argument(
        "--tolerance", type=float, default=100 * TOLERANCE, help="points (default: %(default)g)"
    )
    args = parser.parse_args(argv)
    files = args.files or newest(args.reports, args.axis)
    if len(files) != 2:
        parser.error(
            f"two sweep reports are needed; found {len(files)} ({', '.join(map(str, files)) or 'none'})"
        )
    try:
        a, b = (load(json.loads(path.read_text())) for path in files)
        found = gaps(a, b)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))
    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    tolerance = args.tolerance / 100
    console.print(table(found, (files[0].name, files[1].name), tolerance))
    console.print(verdict(found, tolerance), soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""make sweep's records: a line, a point with its ceiling and every line's cell, the whole sweep.

Frozen and shaped as reports/sweep-*.json holds them: `SweepResult.as_json()` writes that file and
`load()` reads one back (make results renders old reports with today's code). A point's cells are
make compare's (services/tools/loadtest/compare/rows.py), every round kept.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import TypeAdapter

from services.tools.loadtest.compare.rows import Baselines, CeilingSummary, CellSummary, RuntimeSummary
from services.tools.loadtest.spread import Spread


@dataclass(frozen=True)
class SweepLine:
    """One approach of the sweep, in the configuration it runs in."""

    key: str  # local, distributed, hybrid, peer; threads, processes (in one container, no queue)
    label: str  # `distributed (2 x 1 CPU, pool 1)`
    mode: str
    layout: str
    worker_class: str


@dataclass(frozen=True)
class SweepPoint:
    """One task duration: the jobs run there, their ceiling, and every line's cell over the rounds."""

    seconds: float  # the task duration aimed at, by the cost model
    size: int  # units per job
    chunk_size: int  # units per pool task or queue entry
    jobs: int
    tasks_per_job: int
    # The duration run: the kernel's CPU seconds per task, over every line's rounds (CPU time, so a busy
    # machine slows it little, unlike a wall-clock figure).
    task_seconds: Spread | None
    ceiling: CeilingSummary
    baseline: Baselines
    cells: dict[str, CellSummary]  # by line key
    # CPU seconds per task, by line key and by line of the cores' account (kernels, workers besides them,
    # Redis, the API...): what each task costs, whatever else the machine was doing. "ceiling" too: its
    # pool's processes as the kernels, its parent as the workers besides them.
    per_task: dict[str, dict[str, Spread | None]]
    # The lines in one container, no queue (compare/runtimes.py), by key; {} in older reports.
    runtimes: dict[str, RuntimeSummary] = field(default_factory=dict)

    def row(self, key: str) -> CellSummary | RuntimeSummary | None:
        """A line's figures at this point: a cell of the stack's, or a row in one container."""
        return self.cells.get(key) or self.runtimes.get(key)

    @property
    def all_exact(self) -> bool:
        exact_ceiling = self.ceiling.exact_rounds == self.ceiling.rounds
        rows = [*self.cells.values(), *self.runtimes.values()]
        return exact_ceiling and all(row.all_exact for row in rows)

    @property
    def task(self) -> float:
        """The task duration as run (median over the rounds), else as aimed at."""
        return self.task_seconds["median"] if self.task_seconds else self.seconds


@dataclass(frozen=True)
class SweepResult:
    title: str
    budget: int
    kernel: str
    rounds: int
    concurrency: int
    threshold: float  # the share of the ceiling each line's knee is read at
    host_cores: int
    lines: list[SweepLine]
    points: list[SweepPoint]

    @property
    def all_exact(self) -> bool:
        """Every job of every cell exact, none lost, and every ceiling exact in every round."""
        return all(point.all_exact for point in self.points)

    def shares(self, key: str) -> list[tuple[float, Spread]]:
        """A line's share of the ceiling over the rounds at every point it ran, by measured task duration."""
        found = []
        for point in self.points:
            cell = point.row(key)
            if cell is not None and cell.of_ceiling is not None:
                found.append((point.task, cell.of_ceiling))
        return sorted(found, key=lambda p: p[0])

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_SWEEP = TypeAdapter(SweepResult)


def load(data: dict[str, Any]) -> SweepResult:
    """A sweep as a report file holds it (`SweepResult.as_json()`), checked and typed again."""
    return _SWEEP.validate_python(data)

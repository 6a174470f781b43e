"""make sweep's records: a line, a point with its ceiling and every line's cell, the whole sweep.

Two axes share them: the task axis (`make sweep`: task durations, the primes or pi kernel) and the data
axis (`make sweep AXIS=data`: one task duration, `bytes` jobs of more and more bytes per CPU-millisecond,
and a primes point of the same task size beside them as the reference).

Frozen and shaped as reports/sweep-*.json holds them: `SweepResult.as_json()` writes that file and
`load()` reads one back (make results renders old reports with today's code). A point's cells are
make compare's (services/tools/loadtest/compare/rows.py), every round kept.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import TypeAdapter

from services.tools.loadtest.compare.rows import Baselines, CeilingSummary, CellSummary, RuntimeSummary
from services.tools.loadtest.spread import Spread
from services.tools.loadtest.traffic_table import human_bytes
from services.tools.sweep.points import duration
from shared.kernels.dataset import blocks


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
    # Each line's share of the ceiling with every round read at its ceiling's machine speed
    # (measured.at_speed), by key; {} in older reports.
    at_ceiling_speed: dict[str, Spread] = field(default_factory=dict)

    def row(self, key: str) -> CellSummary | RuntimeSummary | None:
        """A line's figures at this point: a cell of the stack's, or a row in one container."""
        return self.cells.get(key) or self.runtimes.get(key)

    def share(self, key: str, raw: bool = False) -> Spread | None:
        """A line's share of the ceiling here over the rounds: at the ceiling's machine speed where the
        report has it (older reports: as measured), or as measured with `raw`."""
        if not raw and key in self.at_ceiling_speed:
            return self.at_ceiling_speed[key]
        row = self.row(key)
        return row.of_ceiling if row is not None else None

    # The data axis: the `bytes` kernel's hashing rounds per byte (None: a primes or pi point; `size` is
    # then units, else the dataset's bytes).
    work: int | None = None

    @property
    def bytes_per_task(self) -> float | None:
        """A `bytes` point's data per pool task or queue entry (the dataset over its tasks)."""
        return None if self.work is None else self.size / -(-blocks(self.size) // self.chunk_size)

    @property
    def bytes_per_cpu_ms(self) -> float | None:
        """A `bytes` point's data intensity as run: bytes per millisecond of the kernel's CPU."""
        per_task = self.bytes_per_task
        return None if per_task is None else per_task / (1000 * self.task)

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
    axis: str = "task"  # task: task durations; data: bytes per task at one task duration
    dataset_bytes: int | None = None  # the data axis's dataset (seeded_bytes(dataset_seed, ...))
    dataset_seed: int | None = None

    @property
    def all_exact(self) -> bool:
        """Every job of every cell exact, none lost, and every ceiling exact in every round."""
        return all(point.all_exact for point in self.points)

    @property
    def at_speed(self) -> bool:
        """Whether the report reads shares at the ceiling's machine speed (older reports: as measured)."""
        return any(point.at_ceiling_speed for point in self.points)

    @property
    def axis_points(self) -> list[SweepPoint]:
        """The points along the axis: on the data axis, its `bytes` points (not the primes reference)."""
        return [p for p in self.points if self.axis == "task" or p.work is not None]

    @property
    def reference(self) -> SweepPoint | None:
        """The data axis's primes point at the same task size, if it ran."""
        found = [p for p in self.points if self.axis == "data" and p.work is None]
        return found[0] if found else None

    @property
    def axis_name(self) -> str:
        """What the tables call a point: `task` (its duration) or `point` (its work and bytes per task)."""
        return "task" if self.axis == "task" else "point"

    def x(self, point: SweepPoint) -> float:
        """Where a point lies on the axis: its task duration as run, or its bytes per task."""
        return (point.bytes_per_task or 0.0) if self.axis == "data" else point.task

    def label(self, point: SweepPoint) -> str:
        """A point as the tables name it: `22 ms`, or `work 4, 98.0 KiB/task` (`primes` for the reference)."""
        if self.axis == "task":
            return duration(point.task)
        if point.work is None:
            return f"primes, {duration(point.task)}"
        return f"work {point.work}, {human_bytes(point.bytes_per_task)}/task"

    def shares(self, key: str, raw: bool = False) -> list[tuple[float, Spread]]:
        """A line's share of the ceiling over the rounds at every point it ran along the axis, by x: read
        at the ceiling's machine speed (SweepPoint.at_ceiling_speed) where the report has it, else (or
        with `raw`) as measured."""
        found = []
        for point in self.axis_points:
            share = point.share(key, raw)
            if share is not None:
                found.append((self.x(point), share))
        return sorted(found, key=lambda p: p[0])

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_SWEEP = TypeAdapter(SweepResult)


def load(data: dict[str, Any]) -> SweepResult:
    """A sweep as a report file holds it (`SweepResult.as_json()`), checked and typed again."""
    return _SWEEP.validate_python(data)

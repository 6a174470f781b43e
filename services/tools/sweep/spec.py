"""What one `make sweep` runs: its points and lines, how often, how many jobs in flight, and the data
axis's dataset; each point's workload for a line's mode, and the run's title."""

from dataclasses import dataclass, field
from pathlib import Path

from services.tools.loadtest.compare.runtimes import Runtime
from services.tools.loadtest.workload import Workload
from services.tools.sweep.dataset import DataSpec
from services.tools.sweep.lines import Line
from services.tools.sweep.points import Point, duration


@dataclass(frozen=True)
class Sweep:
    """What one `make sweep` runs: its points and lines, how often, how many jobs in flight."""

    budget: int
    kernel: str
    points: list[Point]
    lines: list[Line]
    rounds: int
    concurrency: int
    reports: Path
    runtimes: list[Runtime] = field(default_factory=list)  # the lines in one container, no queue
    # The data axis: its dataset (points with a `work` run `bytes` jobs on it; the others, `kernel`).
    dataset: DataSpec | None = None

    def workload(self, point: Point, mode: str) -> Workload:
        if point.work is None:
            return Workload(self.kernel, point.size, point.jobs, self.concurrency, mode, point.chunk_size)
        assert self.dataset is not None and self.dataset.id, "the data axis's dataset is uploaded first"
        return Workload(
            "bytes",
            point.size,
            point.jobs,
            self.concurrency,
            mode,
            point.chunk_size,
            dataset=self.dataset.id,
            work=point.work,
            seed=self.dataset.seed,
        )

    @property
    def title(self) -> str:
        first = self.points[0]  # every point holds the same work
        if self.dataset is not None:
            return (
                f"bytes jobs over one {self.dataset.size / 2**20:g} MiB dataset in tasks of "
                f"{duration(first.seconds)}, {self.concurrency} in flight, CPU budget {self.budget}, "
                f"{self.rounds} rounds"
            )
        return (
            f"{first.jobs} {self.kernel} jobs per point and line ({first.jobs * first.size:,} units), "
            f"{self.concurrency} in flight, CPU budget {self.budget}, {self.rounds} rounds"
        )

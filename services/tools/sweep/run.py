"""The sweep's runs: every round of every point of every line, interleaved, on the real stack.

Built on make compare's pieces (services/tools/loadtest/compare/): each round brings the stack to each
configuration the lines need once (services/tools/sweep/lines.py) and, while it is in the first,
measures each point's references in the worker image: the ceiling, the same jobs cut into the same
tasks on a bare Pool of the whole budget under the same CPU limit, and one job in one process. Then
every line runs each point's jobs through the API with the point's `chunk_size`, measured as a compare
cell is: every answer checked against the exact one, and the cores' accounting, from which each
line's CPU per task (the kernel's, which is the task duration run, and the apparatus's besides it).
The lines in one container (threads, a ProcessPoolExecutor, subinterpreters) run right after each
point's ceiling, on its very tasks, as make compare's rows do (compare/runtimes.py).
Rounds are interleaved, so a drifting machine drifts for every line alike. The data axis's dataset
(services/tools/sweep/dataset.py) is uploaded once the stack is first up, and deleted at the end.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import docker
from rich.console import Console

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare.cell import run_cell
from services.tools.loadtest.compare.references import measure_references
from services.tools.loadtest.compare.rows import Baseline, Baselines, CeilingRound, RoundRow, RuntimeRound
from services.tools.loadtest.compare.runtimes import (
    Runtime,
    measure_runtimes,
    profiles,
    said,
    summarise_runtime,
)
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.loadtest.compare.summary import summarise_ceiling, summarise_cell
from services.tools.loadtest.spread import Spread, spread
from services.tools.loadtest.workload import Workload
from services.tools.sweep.crossover import THRESHOLD
from services.tools.sweep.dataset import DataSpec, uploaded
from services.tools.sweep.lines import Line, groups, in_one_record
from services.tools.sweep.points import Point, duration
from services.tools.sweep.rows import SweepPoint, SweepResult


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


@dataclass
class Measured:
    """What the rounds measured so far, per point: ceilings, baselines, and each line's rows."""

    ceilings: list[list[CeilingRound]]
    baselines: list[list[Baseline]]
    rows: list[dict[str, list[RoundRow]]]
    per_task: list[dict[str, list[dict[str, float]]]]  # CPU seconds per task by account line, per round
    in_one: list[dict[str, list[RuntimeRound]]]  # the lines in one container's rounds, per point

    @classmethod
    def empty(cls, sweep: Sweep) -> "Measured":
        n = len(sweep.points)
        rows: list[dict[str, list[RoundRow]]] = [{line.key: [] for line in sweep.lines} for _ in range(n)]
        per_task: list[dict[str, list[dict[str, float]]]] = [
            {line.key: [] for line in sweep.lines} for _ in range(n)
        ]
        in_one: list[dict[str, list[RuntimeRound]]] = [{r.key: [] for r in sweep.runtimes} for _ in range(n)]
        return cls([[] for _ in range(n)], [[] for _ in range(n)], rows, per_task, in_one)

    def add(self, p: int, key: str, row: RoundRow, tasks: int) -> None:
        """A line's round at point `p`, and its CPU per task from the round's load-test report."""
        self.rows[p][key].append(row)
        used = json.loads(Path(row.report).read_text())["accounting"]["core_seconds"]
        self.per_task[p][key].append({name: used[name] / tasks for name in LINES})

    def point(self, sweep: Sweep, p: int) -> SweepPoint:
        """Point `p` over its rounds, every round kept."""
        point, baselines = sweep.points[p], self.baselines[p]
        return SweepPoint(
            seconds=point.seconds,
            size=point.size,
            chunk_size=point.chunk_size,
            jobs=point.jobs,
            tasks_per_job=point.tasks_per_job,
            work=point.work,
            task_seconds=spread([r["kernels"] for rounds in self.per_task[p].values() for r in rounds]),
            ceiling=summarise_ceiling(self.ceilings[p]),
            baseline=Baselines(baselines),
            cells={
                line.key: summarise_cell(line.cell, self.rows[p][line.key])
                for line in sweep.lines
                if self.rows[p][line.key]
            },
            per_task={
                "ceiling": ceiling_per_task(self.ceilings[p], point),
                **{
                    key: {name: spread([r[name] for r in rounds]) for name in LINES}
                    for key, rounds in self.per_task[p].items()
                    if rounds
                },
                **{
                    key: ceiling_per_task([r.run for r in rounds], point)
                    for key, rounds in self.in_one[p].items()
                    if rounds
                },
            },
            runtimes={
                r.key: summarise_runtime(r, sweep.budget, self.in_one[p][r.key])
                for r in sweep.runtimes
                if self.in_one[p][r.key]
            },
        )


def ceiling_per_task(ceilings: list[CeilingRound], point: Point) -> dict[str, Spread | None]:
    """The ceiling's CPU per task as the account's lines: the Pool's processes as the kernels, and its
    parent (feeding the tasks, merging the answers) as the workers' CPU besides them. The same for a
    line in one container: its processes' or threads' CPU, and its parent's besides."""
    tasks = point.jobs * point.tasks_per_job
    found: dict[str, Spread | None] = {name: None for name in LINES}
    found["kernels"] = spread([c.workers_cpu_seconds / tasks for c in ceilings if c.workers_cpu_seconds])
    found["workers_other"] = spread([c.parent_cpu_seconds / tasks for c in ceilings if c.parent_cpu_seconds])
    return found


def run_round(
    stack: ComposeStack,
    sweep: Sweep,
    index: int,
    done: Measured,
    client: docker.DockerClient,
    console: Console,
) -> None:
    """One round: each configuration once, every point's references in the first, every line's cells."""
    for position, (topology, group) in enumerate(groups(sweep.lines)):
        console.print(f"  {topology.describe()} (reconfiguring the stack)")
        stack.reconfigure(topology, client)
        for p, point in enumerate(sweep.points):
            if position == 0:
                ceiling, baseline = measure_references(
                    client, stack.project, sweep.workload(point, "local"), sweep.budget
                )
                done.ceilings[p].append(ceiling)
                done.baselines[p].append(baseline)
                console.print(
                    f"  {point.label} tasks: the ceiling {ceiling.jobs_per_second:.2f} jobs/s, "
                    f"{'exact' if ceiling.exact else 'WRONG'}"
                )
                measured = measure_runtimes(
                    client,
                    stack,
                    sweep.runtimes,
                    sweep.workload(point, "local"),
                    sweep.budget,
                    ceiling,
                    baseline,
                    index,
                )
                for runtime in sweep.runtimes:
                    row = measured[runtime.key]
                    done.in_one[p][runtime.key].append(row)
                    console.print(f"  {point.label} {said(runtime, row)}")
            for line in group:
                row = run_cell(
                    stack,
                    line.cell,
                    sweep.workload(point, line.cell.mode),
                    sweep.reports / "sweep-cells",
                    done.ceilings[p][-1],
                    done.baselines[p][-1],
                    index,
                )
                done.add(p, line.key, row, point.jobs * point.tasks_per_job)
                kernel = duration(done.per_task[p][line.key][-1]["kernels"])
                console.print(
                    f"  {point.label} {line.key}: {row.exact}/{row.jobs} exact, {row.jobs_per_second:.2f} "
                    f"jobs/s, {100 * row.of_ceiling:.0f} % of the ceiling (kernel CPU per task {kernel})"
                )


@contextmanager
def with_data(
    stack: ComposeStack, sweep: Sweep, client: docker.DockerClient, console: Console
) -> Iterator[Sweep]:
    """The sweep with its dataset uploaded (the stack brought up in its first configuration for that),
    deleted when the block ends; a sweep without one as it is."""
    if sweep.dataset is None:
        yield sweep
        return
    stack.reconfigure(groups(sweep.lines)[0][0], client)
    with uploaded(stack.url, sweep.dataset) as dataset:
        console.print(f"  dataset {dataset.id}: {dataset.size:,} bytes uploaded (seed {dataset.seed})")
        yield replace(sweep, dataset=dataset)


def run(stack: ComposeStack, sweep: Sweep, console: Console, down: bool = False) -> SweepResult:
    """Build the stack's images, run every round (taking the stack down after if `down`)."""
    client = docker.from_env()
    done = Measured.empty(sweep)
    try:
        stack.build(profiles(sweep.runtimes))
        with with_data(stack, sweep, client, console) as ready:
            for index in range(sweep.rounds):
                console.print(f"[b]round {index + 1} of {sweep.rounds}[/b]")
                run_round(stack, ready, index, done, client, console)
    finally:
        if down:
            stack.down()
        client.close()
    return SweepResult(
        title=sweep.title,
        budget=sweep.budget,
        kernel=sweep.kernel,
        rounds=sweep.rounds,
        concurrency=sweep.concurrency,
        threshold=THRESHOLD,
        host_cores=os.cpu_count() or 1,
        lines=[
            *(line.record() for line in sweep.lines),
            *(in_one_record(r, sweep.budget) for r in sweep.runtimes),
        ],
        points=[done.point(sweep, p) for p in range(len(sweep.points))],
        axis="task" if sweep.dataset is None else "data",
        dataset_bytes=None if sweep.dataset is None else sweep.dataset.size,
        dataset_seed=None if sweep.dataset is None else sweep.dataset.seed,
    )

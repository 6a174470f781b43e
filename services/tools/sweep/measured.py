"""What the sweep's rounds measured so far, per point: ceilings, baselines, each line's rows and its CPU
per task by the account's lines, and the lines in one container; summarised into the report's points."""

import json
from dataclasses import dataclass
from pathlib import Path

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare.rows import Baseline, Baselines, CeilingRound, RoundRow, RuntimeRound
from services.tools.loadtest.compare.runtimes import summarise_runtime
from services.tools.loadtest.compare.summary import summarise_ceiling, summarise_cell
from services.tools.loadtest.spread import Spread, spread
from services.tools.sweep.points import Point
from services.tools.sweep.rows import SweepPoint
from services.tools.sweep.spec import Sweep


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
            at_ceiling_speed=self.at_ceiling_speed(
                p, point, own_image={r.key for r in sweep.runtimes if r.profile is not None}
            ),
        )

    def at_ceiling_speed(
        self, p: int, point: Point, own_image: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Spread]:
        """Each line's share of the ceiling at point `p`, every round's read at its ceiling's machine speed
        (`at_speed`), by line key: the stack's cells and the lines in one container. Not those in
        `own_image`: a line in an image of its own (another Python) is read against a bare Pool in that
        image, run beside it, and its kernel's CPU is another Python's, no gauge of the ceiling's speed."""
        tasks = point.jobs * point.tasks_per_job
        ceilings = self.ceilings[p]
        found: dict[str, list[float | None]] = {}
        for key, rows in self.rows[p].items():
            found[key] = [
                at_speed(row.of_ceiling, used["kernels"], ceilings[row.round], tasks)
                for row, used in zip(rows, self.per_task[p][key], strict=True)
            ]
        for key, rounds in self.in_one[p].items():
            if key in own_image:
                continue
            found[key] = [
                at_speed(r.of_ceiling, (r.run.workers_cpu_seconds or 0.0) / tasks, ceilings[r.round], tasks)
                for r in rounds
            ]
        return {key: summary for key, shares in found.items() if (summary := spread(shares)) is not None}


def at_speed(share: float, kernel_per_task: float, ceiling: CeilingRound, tasks: int) -> float | None:
    """A round's share of its ceiling as if the machine had run it at the ceiling's speed (None if either
    has no kernel CPU on record).

    The ceiling and a line's cell run minutes apart in a round (each configuration in turn), and this
    machine's speed drifts by tens of % over minutes, with no steal to show it (`make soak`'s probe: a
    fixed loop's CPU time, 100-148 % of its first minute's in one hour). The same tasks then cost more CPU
    seconds: the kernel's CPU per task is the speed gauge, read on both runs' own work. A cell that ran
    while the machine was 20 % slower than during its ceiling, its kernels at 1.2x the ceiling's CPU per
    task, is read at 1.2x its share. What the cell's own apparatus costs (the workers besides the kernels,
    Redis, the API) is not kernel CPU, so it still shows.
    """
    if kernel_per_task <= 0 or not ceiling.workers_cpu_seconds:
        return None
    return share * kernel_per_task / (ceiling.workers_cpu_seconds / tasks)


def ceiling_per_task(ceilings: list[CeilingRound], point: Point) -> dict[str, Spread | None]:
    """The ceiling's CPU per task as the account's lines: the Pool's processes as the kernels, and its
    parent (feeding the tasks, merging the answers) as the workers' CPU besides them. The same for a
    line in one container: its processes' or threads' CPU, and its parent's besides."""
    tasks = point.jobs * point.tasks_per_job
    found: dict[str, Spread | None] = {name: None for name in LINES}
    found["kernels"] = spread([c.workers_cpu_seconds / tasks for c in ceilings if c.workers_cpu_seconds])
    found["workers_other"] = spread([c.parent_cpu_seconds / tasks for c in ceilings if c.parent_cpu_seconds])
    return found

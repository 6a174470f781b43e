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

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import docker
from rich.console import Console

from services.tools.loadtest.compare.cell import run_cell
from services.tools.loadtest.compare.references import measure_references
from services.tools.loadtest.compare.runtimes import build_bases, measure_runtimes, profiles, said
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.sweep.crossover import THRESHOLD
from services.tools.sweep.dataset import uploaded
from services.tools.sweep.lines import groups, in_one_record
from services.tools.sweep.measured import Measured
from services.tools.sweep.points import duration
from services.tools.sweep.rows import SweepResult
from services.tools.sweep.spec import Sweep


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
        build_bases(stack, sweep.runtimes)
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

"""`python -m services.tools.sweep`: how small a task can get before each approach falls behind the Pool.

Task durations from about 1 ms to about 1 s, log-spaced (--points, --shortest, --longest); at each, the
same jobs on every line (local, distributed, hybrid, stock RQ; and in one container, no queue, threads,
a ProcessPoolExecutor and subinterpreters on CPython 3.14) and on a bare Pool of the same budget (the
ceiling), --rounds interleaved rounds, every answer checked exact, every cell with the cores'
accounting. Prints the table and a sentence per line (the smallest task at which it still reaches 90 %
of the ceiling); writes reports/sweep-*.json (every round) and .png. It reconfigures the stack itself:
Docker is all it needs running.

--axis data: the data axis instead. One task duration (--task), `bytes` jobs over one dataset
(--dataset-mib, made from --seed, uploaded once through the API and deleted at the end) at --points
values of `work` from --heaviest down to 0 (CPU-heavy to I/O-heavy), beside a primes point of the same
task size; the ceiling is a bare Pool over the data already in one container's shared memory. Prints a
sentence per line saying from how many bytes per task moving them makes it lose; writes
reports/data-axis-*.json and .png.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from services.tools import preflight
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.stack import default_port, default_project
from services.tools.sweep.chart import sweep_chart
from services.tools.sweep.data_points import plan_data_axis
from services.tools.sweep.dataset import DataSpec
from services.tools.sweep.lines import IN_ONE, IN_ONE_DEFAULT, KEYS, in_one, lines
from services.tools.sweep.points import Point, plan_point, plan_sweep
from services.tools.sweep.render import render
from services.tools.sweep.rows import SweepResult
from services.tools.sweep.run import run
from services.tools.sweep.spec import Sweep

PIPED_WIDTH = 200


def parse_args(argv: list[str] | None = None) -> tuple[ComposeStack, Sweep, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m services.tools.sweep", description=__doc__)
    parser.add_argument("--project", default=default_project())
    parser.add_argument("--port", type=int, default=default_port())
    parser.add_argument(
        "--budget", type=int, default=os.cpu_count() or 1, help="CPUs to share (default: all)"
    )
    parser.add_argument(
        "--lines", default=",".join((*KEYS, *IN_ONE_DEFAULT)), help="comma-separated (default: %(default)s)"
    )
    parser.add_argument("--kernel", choices=("primes", "pi"), default="primes")
    parser.add_argument("--axis", choices=("task", "data"), default="task", help="(default: %(default)s)")
    parser.add_argument(
        "--points", type=int, default=7, help="task durations, or data axis works (default: %(default)s)"
    )
    parser.add_argument("--shortest", type=float, default=0.001, help="seconds (default: %(default)s)")
    parser.add_argument("--longest", type=float, default=1.0, help="seconds (default: %(default)s)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=8,
        help="jobs per point and line; data axis: at least this many (default: %(default)s)",
    )
    data = parser.add_argument_group("data axis (--axis data)")
    data.add_argument("--task", type=float, default=0.02, help="seconds per task (default: %(default)s)")
    data.add_argument("--heaviest", type=int, default=16, help="most `work` per byte (default: %(default)s)")
    data.add_argument("--dataset-mib", type=float, default=8, help="the dataset (default: %(default)s MiB)")
    data.add_argument("--seed", type=int, default=1, help="the dataset's bytes (default: %(default)s)")
    data.add_argument(
        "--no-primes", action="store_true", help="no primes point of the same task size beside the axis"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=4.0,
        help="wall seconds a point takes at the ceiling (its work: this x the budget; default: %(default)s)",
    )
    parser.add_argument(
        "--min-tasks",
        type=int,
        default=24,
        help="tasks per point and line at least, however long (more work where needed; default: %(default)s)",
    )
    parser.add_argument(
        "--hybrid-consumers",
        type=int,
        default=1,
        help="RQ consumers in the hybrid line's fat container, each with its own pool (default: %(default)s)",
    )
    parser.add_argument(
        "--distributed-consumers",
        type=int,
        default=1,
        help="RQ consumers in each thin container of distributed and stock RQ (default: %(default)s)",
    )
    parser.add_argument("--concurrency", type=int, default=0, help="jobs in flight (default: all of them)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every cell (default: %(default)s)")
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--down", action="store_true", help="remove the stack at the end")
    args = parser.parse_args(argv)
    if (
        min(
            args.rounds,
            args.jobs,
            args.budget,
            args.min_tasks,
            args.hybrid_consumers,
            args.distributed_consumers,
        )
        < 1
        or args.concurrency < 0
        or args.seconds <= 0
    ):
        parser.error(
            "--rounds, --jobs, --budget, --min-tasks, --hybrid-consumers and --distributed-consumers must be "
            "at least 1, --seconds above 0"
        )
    keys = [k for k in args.lines.split(",") if k]
    try:
        # The ceiling is measured with the stack's lines: at least one of them, then any in one container.
        chosen = lines(
            args.budget,
            [k for k in keys if k not in IN_ONE],
            args.hybrid_consumers,
            args.distributed_consumers,
        )
        points, dataset = plan(args)
    except ValueError as exc:
        parser.error(str(exc))
    sweep = Sweep(
        budget=args.budget,
        kernel=args.kernel if args.axis == "task" else "primes",  # the data axis's reference point
        points=points,
        lines=chosen,
        runtimes=in_one(keys),
        rounds=args.rounds,
        concurrency=args.concurrency or args.jobs,
        reports=args.reports,
        dataset=dataset,
    )
    return ComposeStack(args.project, args.port), sweep, args


def plan(args: argparse.Namespace) -> tuple[list[Point], DataSpec | None]:
    """The points of the axis asked for (and the data axis's dataset); ValueError if one cannot be."""
    work_seconds = args.seconds * args.budget
    if args.axis == "task":
        points = plan_sweep(
            args.kernel,
            args.shortest,
            args.longest,
            args.points,
            args.jobs,
            work_seconds,
            min_tasks=args.min_tasks,
        )
        return points, None
    size = round(args.dataset_mib * 2**20)
    points = plan_data_axis(args.task, args.points, args.heaviest, size, work_seconds, args.jobs)
    if not args.no_primes:
        points.insert(0, plan_point("primes", args.task, args.jobs, work_seconds, min_tasks=args.min_tasks))
    return points, DataSpec(args.seed, size)


def write(result: SweepResult, reports: Path) -> Path:
    """reports/sweep-<time>.json (data axis: data-axis-<time>.json), every round kept, and its chart
    beside it; their common stem."""
    reports.mkdir(parents=True, exist_ok=True)
    name = "sweep" if result.axis == "task" else "data-axis"
    stem = reports / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".json").write_text(json.dumps(result.as_json(), indent=2))
    sweep_chart(result, stem.with_suffix(".png"))
    return stem


def main(argv: list[str] | None = None) -> int:
    stack, sweep, args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    try:
        preflight.docker_client().close()
    except preflight.NotReady as exc:
        return preflight.refuse("sweep", exc)
    result = run(stack, sweep, console, down=args.down)
    render(result, console)
    stem = write(result, args.reports)
    console.print(f"reports: {stem}.json, {stem}.png")
    if not args.down:
        console.print(
            "The stack is left as the sweep's last configuration; `make up` restores your settings."
        )
    return 0 if result.all_exact else 1


if __name__ == "__main__":
    sys.exit(main())

"""`python -m services.tools.loadtest.compare`: one workload across topologies x modes, on one CPU budget.

Every cell stands beside its ceiling and a peer, measured in the same run:
- the ceiling: the same jobs on a bare `multiprocessing.Pool` of the whole budget, in the worker image
  under the same CPU limit, with no queue and no API (worker/ceiling.py);
- the peer: stock RQ (`SimpleWorker`) workers on the thin topology, taking the same distributed chunks;
- in one container, no queue, beside the ceiling: the same jobs and tasks on GIL-bound threads, on a
  `ProcessPoolExecutor` and on subinterpreters (an `InterpreterPoolExecutor`, in the worker image built
  on CPython 3.14), and when asked for (--runtimes ...,free-threaded) threads with no GIL on CPython
  3.14t (compare/runtimes.py);
- with --peers, other projects' queues in containers of their own (Celery prefork, Dramatiq, Dask), on each
  topology's containers and quota, taking our distributed chunks (compare/peers.py).

Each round runs the ceiling, a one-process baseline, then every cell, reconfiguring the stack itself
(worker replicas, CPU limit, pool size, consumers, worker class) between groups of cells; with --pin,
each topology is run twice, once under a CPU quota and once pinned to cores (services/tools/loadtest/
topologies.py); every cell says how often its workers' quota throttled them. Rounds are
interleaved, so a machine that drifts drifts for every cell alike. The table gives each cell's median
and range over the rounds and its share of the same round's ceiling; a second table says where the
cores went. Writes reports/comparison-*.json (every round) and .png.
"""

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from services.tools import preflight
from services.tools.loadtest.compare import files
from services.tools.loadtest.compare.peers import PEERS
from services.tools.loadtest.compare.peers import chosen as chosen_peers
from services.tools.loadtest.compare.render import render
from services.tools.loadtest.compare.rounds import Plan, run
from services.tools.loadtest.compare.rows import WorkloadShape
from services.tools.loadtest.compare.runtimes import DEFAULT
from services.tools.loadtest.compare.runtimes import chosen as chosen_runtimes
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.loadtest.pinning import host_cores
from services.tools.loadtest.task_size import chunk_for
from services.tools.loadtest.topologies import MODES, by_name, plan, topologies
from services.tools.monitor.stats import PIPED_WIDTH
from services.tools.stack import default_port, default_project

COMPARE_PIPED_WIDTH = max(PIPED_WIDTH, 200)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.tools.loadtest.compare", description=__doc__)
    parser.add_argument("--project", default=default_project())
    parser.add_argument("--port", type=int, default=default_port())
    parser.add_argument(
        "--budget", type=int, default=os.cpu_count() or 1, help="CPUs to share (default: all)"
    )
    parser.add_argument("--topologies", default="", help="comma-separated (default: all for the budget)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated (default: %(default)s)")
    parser.add_argument("--kernel", choices=("primes", "pi"), default="primes")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--task",
        type=float,
        help="seconds per task: each job cut into tasks the cost model puts at about that long, as make "
        "sweep's points (default: the planner's own chunks)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every cell (default: %(default)s)")
    parser.add_argument("--no-peer", action="store_true", help="leave out the stock RQ peer")
    parser.add_argument(
        "--runtimes",
        default=",".join(DEFAULT),
        help="rows in one container beside the ceiling, comma-separated (none: empty; default: %(default)s)",
    )
    parser.add_argument(
        "--peers",
        default="",
        help="queue peers in containers, each on every topology under a quota, comma-separated "
        f"({', '.join(PEERS)}; default: none)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="also run each topology pinned to cores (cpuset, no quota) on the same budget",
    )
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--down", action="store_true", help="remove the stack at the end")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - set(MODES):
        parser.error(f"--modes takes a comma-separated subset of {', '.join(MODES)}")
    if args.rounds < 1 or args.jobs < 1 or args.size < 1 or args.concurrency < 1:
        parser.error("--rounds, --jobs, --size and --concurrency must be at least 1")
    args.modes = modes
    try:
        args.chunk_size = None if args.task is None else chunk_for(args.kernel, args.size, args.task)
        args.runtimes = chosen_runtimes([k for k in args.runtimes.split(",") if k])
        args.peers = chosen_peers([k for k in args.peers.split(",") if k])
        names = [n for n in args.topologies.split(",") if n]
        chosen = by_name(args.budget, names) if names else topologies(args.budget)
    except ValueError as exc:
        parser.error(str(exc))
    cores = host_cores()
    if args.pin and args.budget > len(cores):
        parser.error(f"--pin: a budget of {args.budget} CPUs cannot be pinned to {len(cores)} cores")
    args.peer_topologies = chosen
    args.groups = plan(chosen, modes, peer=not args.no_peer, pin_to=cores if args.pin else None)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Piped, wide enough for every column and a readable note.
    console = Console(width=None if sys.stdout.isatty() else COMPARE_PIPED_WIDTH)
    # It starts and reconfigures the stack itself: Docker is all it needs running.
    try:
        preflight.docker_client().close()
    except preflight.NotReady as exc:
        return preflight.refuse("compare", exc)
    shape = WorkloadShape(args.kernel, args.size, args.jobs, args.concurrency, args.chunk_size, args.task)
    to_run = Plan(
        shape,
        args.budget,
        args.groups,
        args.rounds,
        args.reports,
        args.runtimes,
        args.peers,
        args.peer_topologies,
    )
    result = run(ComposeStack(args.project, args.port), to_run, console, down=args.down)
    render(result, console)
    stem = files.write(result, args.reports)
    console.print(f"reports: {stem}.json, {stem}.png")
    if not args.down:
        console.print(
            f"The stack is left as [b]{args.groups[-1].topology.describe()}[/b]; "
            "`make up` restores your settings."
        )
    return 0 if result.all_exact else 1


if __name__ == "__main__":
    sys.exit(main())

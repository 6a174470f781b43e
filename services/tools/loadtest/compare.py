"""`python -m services.tools.loadtest.compare`: one workload across topologies x modes, on one CPU budget.

Every cell stands beside its ceiling and a peer, measured in the same run:
- the ceiling: the same jobs on a bare `multiprocessing.Pool` of the whole budget, in the worker image
  under the same CPU limit, with no queue and no API (worker/ceiling.py);
- the peer: stock RQ (`SimpleWorker`) workers on the thin topology, taking the same distributed chunks.

Each round runs the ceiling, a one-process baseline, then every cell, reconfiguring the stack itself
(worker replicas, CPU limit, pool size, consumers, worker class) between groups of cells; with --pin,
each topology is run twice, once under a CPU quota and once pinned to cores (services/tools/loadtest/
topologies.py); every cell says how often its workers' quota throttled them. Rounds are
interleaved, so a machine that drifts drifts for every cell alike. The table gives each cell's median
and range over the rounds and its share of the same round's ceiling; a second table says where the
cores went. Writes reports/comparison-*.json (every round) and .png.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
import httpx
from rich.console import Console
from rich.table import Table

from services.tools import api_auth, preflight
from services.tools.loadtest import chart
from services.tools.loadtest.accounting import LINES, SHORT
from services.tools.loadtest.pinning import host_cores, pin_workers
from services.tools.loadtest.session import Target, run_load_test
from services.tools.loadtest.spread import show, spread
from services.tools.loadtest.stack_info import run_in_image, worker_containers, worker_image
from services.tools.loadtest.topologies import MODES, Cell, Topology, by_name, plan, topologies
from services.tools.loadtest.workload import Workload
from services.tools.monitor.stats import PIPED_WIDTH
from shared.tally import Tally
from worker.cgroup.throttling import ZERO, Throttling

REPO = Path(__file__).resolve().parents[3]
COMPARE_PIPED_WIDTH = max(PIPED_WIDTH, 200)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.tools.loadtest.compare", description=__doc__)
    parser.add_argument("--project", default=os.environ.get("COMPOSE_PROJECT_NAME", "cpu-contrast"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument(
        "--budget", type=int, default=os.cpu_count() or 1, help="CPUs to share (default: all)"
    )
    parser.add_argument("--topologies", default="", help="comma-separated (default: all for the budget)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated (default: %(default)s)")
    parser.add_argument("--kernel", choices=("primes", "pi"), default="primes")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every cell (default: %(default)s)")
    parser.add_argument("--no-peer", action="store_true", help="leave out the stock RQ peer")
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
        names = [n for n in args.topologies.split(",") if n]
        chosen = by_name(args.budget, names) if names else topologies(args.budget)
    except ValueError as exc:
        parser.error(str(exc))
    cores = host_cores()
    if args.pin and args.budget > len(cores):
        parser.error(f"--pin: a budget of {args.budget} CPUs cannot be pinned to {len(cores)} cores")
    args.groups = plan(chosen, modes, peer=not args.no_peer, pin_to=cores if args.pin else None)
    return args


def compose(project: str, env: dict[str, str], *args: str) -> None:
    """`docker compose -p PROJECT ARGS` in the repo, failing loudly with its output."""
    result = subprocess.run(
        ["docker", "compose", "-p", project, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def reconfigure(project: str, port: int, topology: Topology, client: docker.DockerClient, url: str) -> None:
    """Bring the stack to this topology and wait until exactly its workers are ready, with their pools.

    Not `up --wait`: Docker's health shows a minute late with the healthcheck every 30 s; the workers'
    own reports (registered with RQ, pool whole) say it within a second.
    """
    env = {**os.environ, **topology.env(), "API_PORT": str(port)}
    if topology.pinned:
        # Created, pinned, then started: no worker process ever runs off its cores.
        compose(project, env, "up", "--no-start", "--remove-orphans")
        pin_workers(client, project, topology.cpusets)
    compose(project, env, "up", "-d", "--remove-orphans")
    hosts = {c.attrs["Config"]["Hostname"] for c in worker_containers(client, project)}
    # Each container's report sums its consumers' pools (WORKER_CONSUMERS, as compose gets it from here).
    consumers = int(env.get("WORKER_CONSUMERS") or 1)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            reports = httpx.get(f"{url}/workers", headers=api_auth.headers(), timeout=5).json()
            if {r["host"] for r in reports} == hosts and all(
                r["ready"] and (r["consumers"], r["pool_processes"]) == (consumers, topology.pool * consumers)
                for r in reports
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"workers of {topology.describe()} were not all ready within 90 s")


def measure_references(
    client: docker.DockerClient, project: str, workload: Workload, budget: int, expected: Tally
) -> tuple[dict[str, Any], dict[str, Any]]:
    """This round's ceiling (bare Pool of the budget) and baseline (one process), in the worker image."""
    image = worker_image(client, project)
    ceiling = run_in_image(
        client,
        image,
        budget,
        [
            "python",
            "-m",
            "worker.ceiling",
            workload.kernel,
            str(workload.size),
            str(workload.jobs),
            str(budget),
        ],
    )
    ceiling["exact"] = ceiling.pop("all_equal") and Tally(ceiling["count"], ceiling["histogram"]) == expected
    one = run_in_image(
        client, image, 1, ["python", "-m", "worker.baseline", workload.kernel, str(workload.size)]
    )
    baseline = {
        "where": "worker image, 1 CPU",
        "seconds_per_job": one["seconds_per_job"],
        "units_per_second": workload.size / one["seconds_per_job"],
    }
    return ceiling, baseline


def round_row(report: dict[str, Any], ceiling: dict[str, Any], index: int) -> dict[str, Any]:
    """One cell's figures in one round, with its share of that round's ceiling."""
    return {
        "round": index,
        "jobs": report["submitted"],
        "exact": report["exact"],
        "lost": report["lost"],
        "jobs_per_second": report["jobs_per_second"],
        "of_ceiling": report["jobs_per_second"] / ceiling["jobs_per_second"],
        "efficiency": report["efficiency"],
        "latency_p50": report["latency_seconds"]["p50"],
        "latency_p95": report["latency_seconds"]["p95"],
        "worker_cores": report["cpu"]["worker_cores"],
        # The worker containers' CFS throttling over the run, added up (from their cgroups).
        "throttling": workers_throttling(report["accounting"]["throttling"]),
        "chunk_sizes": report["chunk_sizes"],
        "accounting": report["accounting"]["share"],
        "report": report["files"]["json"],
    }


def workers_throttling(per_container: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The worker containers' throttling over a run, added up: periods, throttled ones, share, seconds."""
    workers = [t for t in per_container.values() if t["service"] == "worker"]
    total = sum(
        (Throttling(t["periods"], t["throttled_periods"], t["throttled_seconds"]) for t in workers), ZERO
    )
    return total.as_dict()


def summarise_cell(cell: Cell, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A cell over its rounds: medians and ranges, totals of exact and lost, and every round kept."""
    return {
        "key": cell.key,
        "topology": cell.topology.label,
        "pinned": list(cell.topology.cpusets),
        "layout": cell.topology.describe(),
        "mode": cell.mode,
        "note": cell.note,
        "worker_class": cell.topology.worker_class,
        "consumers": cell.topology.consumers,
        "jobs": sum(r["jobs"] for r in rounds),
        "exact": sum(r["exact"] for r in rounds),
        "lost": sum(r["lost"] for r in rounds),
        **{
            name: spread([r[name] for r in rounds])
            for name in ("jobs_per_second", "of_ceiling", "efficiency", "latency_p50", "worker_cores")
        },
        "throttled_share": spread([r["throttling"]["throttled_share"] for r in rounds]),
        "throttled_seconds": spread([r["throttling"]["throttled_seconds"] for r in rounds]),
        "accounting": {line: spread([r["accounting"][line] for r in rounds]) for line in LINES},
        "rounds": rounds,
    }


def render(result: dict[str, Any], console: Console) -> None:
    """The comparison table, the ceiling first; then where the cores went, per cell."""
    table = Table(
        title=result["title"],
        caption="median (min–max) over the rounds; % of ceiling per round; throttled: the workers' CFS "
        "periods their quota stopped them in, held: seconds held back (cgroups; - : no quota, no period)",
    )
    for column in (
        "cell",
        "workers",
        "mode",
        "exact",
        "jobs/s",
        "% of ceiling",
        "vs 1 process",
        "p50 s",
        "cores",
        "throttled %",
        "held s",
    ):
        left = column in ("cell", "workers", "mode")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    table.add_column("note")
    ceiling = result["ceiling"]
    table.add_row(
        "ceiling",
        f"bare Pool({result['budget']}), --cpus {result['budget']}",
        "-",
        f"{ceiling['exact_rounds']}/{ceiling['rounds']}",
        show(ceiling["jobs_per_second"]),
        "100",
        show(ceiling["efficiency"], ".0f", 100),
        "",
        "",
        "",
        "",
        "no queue, no API",
        end_section=True,
    )
    for c in result["cells"]:
        table.add_row(
            c["topology"],
            c["layout"],
            c["mode"],
            f"{c['exact']}/{c['jobs']}",
            show(c["jobs_per_second"]),
            show(c["of_ceiling"], ".0f", 100),
            show(c["efficiency"], ".0f", 100),
            show(median_only(c["latency_p50"])),
            show(median_only(c["worker_cores"])),
            show(c["throttled_share"], ".1f", 100),
            show(c["throttled_seconds"], ".2f"),
            c["note"],
        )
    console.print(table)
    where = Table(
        title="Where the host's cores went in each cell: % of cores x wall, median over the rounds",
        caption="from cgroups and /proc; `rest of the host` is the difference, within about ±1 %",
    )
    for column in ("cell", "mode", *(SHORT[line] for line in LINES)):
        where.add_column(column, justify="left" if column in ("cell", "mode") else "right", no_wrap=True)
    for c in result["cells"]:
        shares = [c["accounting"][line] for line in LINES]
        where.add_row(
            c["topology"] + cell_variant(c), c["mode"], *(show(median_only(s), ".1f", 100) for s in shares)
        )
    console.print(where)


def median_only(summary: dict[str, float] | None) -> dict[str, float] | None:
    """Just the median of a spread (for columns where the range would only crowd the table)."""
    return None if summary is None else {**summary, "n": 1}


def cell_variant(cell: dict[str, Any]) -> str:
    """What tells cells of one topology apart beside their mode: consumers, stock RQ, counter-example."""
    if cell["worker_class"] == "simple":
        return " stock RQ"
    if cell["note"].startswith("counter-example"):
        return " 1 consumer"
    return f" {cell['consumers']} consumers" if cell["consumers"] > 1 else ""


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """Every round of every cell; the comparison as a JSON-ready dict."""
    url = f"http://127.0.0.1:{args.port}"
    client = docker.from_env()
    workload_of = {m: Workload(args.kernel, args.size, args.jobs, args.concurrency, m) for m in MODES}
    expected = workload_of["local"].expected()
    cells: list[Cell] = [cell for group in args.groups for cell in group.cells]
    rounds: dict[str, list[dict[str, Any]]] = {cell.key: [] for cell in cells}
    ceilings, baselines = [], []
    current: Topology | None = None
    try:
        compose(args.project, {**os.environ, "API_PORT": str(args.port)}, "build")
        for index in range(args.rounds):
            console.print(f"[b]round {index + 1} of {args.rounds}[/b]")
            for position, group in enumerate(args.groups):
                if group.topology != current:
                    console.print(f"  {group.topology.describe()} (reconfiguring the stack)")
                    reconfigure(args.project, args.port, group.topology, client, url)
                    current = group.topology
                if position == 0:
                    ceiling, baseline = measure_references(
                        client, args.project, workload_of["local"], args.budget, expected
                    )
                    ceiling["efficiency"] = (
                        ceiling["jobs_per_second"] * baseline["seconds_per_job"] / args.budget
                    )
                    ceilings.append(ceiling)
                    baselines.append(baseline)
                    console.print(
                        f"  ceiling: {ceiling['jobs_per_second']:.2f} jobs/s; "
                        f"one process: {baseline['seconds_per_job']:.3f} s/job"
                    )
                for cell in group.cells:
                    report = run_load_test(
                        Target(url, args.project),
                        workload_of[cell.mode],
                        args.reports,
                        label=f"loadtest-{cell.topology.name}",
                        baseline=baseline,
                        watch=False,
                    )
                    row = round_row(report, ceiling, index)
                    rounds[cell.key].append(row)
                    console.print(
                        f"  {cell.topology.label} {cell.mode}{' (' + cell.note + ')' if cell.note else ''}: "
                        f"{row['exact']}/{row['jobs']} exact, {row['jobs_per_second']:.2f} jobs/s, "
                        f"{100 * row['of_ceiling']:.0f} % of the ceiling"
                    )
    finally:
        if args.down:
            compose(
                args.project, {**os.environ, "API_PORT": str(args.port)}, "down", "-v", "--remove-orphans"
            )
        client.close()
    title = (
        f"{args.jobs} {args.kernel} jobs of {args.size:,} units, {args.concurrency} in flight, "
        f"CPU budget {args.budget}, {args.rounds} rounds"
    )
    return {
        "title": title,
        "budget": args.budget,
        "workload": {
            "kernel": args.kernel,
            "size": args.size,
            "jobs": args.jobs,
            "concurrency": args.concurrency,
        },
        "ceiling": {
            "rounds": len(ceilings),
            "exact_rounds": sum(c["exact"] for c in ceilings),
            "jobs_per_second": spread([c["jobs_per_second"] for c in ceilings]),
            "efficiency": spread([c["efficiency"] for c in ceilings]),
            "every_round": ceilings,
        },
        "baseline": {"every_round": baselines},
        "cells": [summarise_cell(cell, rounds[cell.key]) for cell in cells],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Piped, wide enough for every column and a readable note.
    console = Console(width=None if sys.stdout.isatty() else COMPARE_PIPED_WIDTH)
    # It starts and reconfigures the stack itself: Docker is all it needs running.
    try:
        preflight.docker_client().close()
    except preflight.NotReady as exc:
        return preflight.refuse("compare", exc)
    result = run(args, console)
    render(result, console)
    args.reports.mkdir(parents=True, exist_ok=True)
    stem = args.reports / f"comparison-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2))
    chart.comparison_chart(result, stem.with_suffix(".png"))
    console.print(f"reports: {stem}.json, {stem}.png")
    if not args.down:
        console.print(
            f"The stack is left as [b]{args.groups[-1].topology.describe()}[/b]; "
            "`make up` restores your settings."
        )
    exact = all(c["exact"] == c["jobs"] and c["lost"] == 0 for c in result["cells"])
    return 0 if exact and result["ceiling"]["exact_rounds"] == result["ceiling"]["rounds"] else 1


if __name__ == "__main__":
    sys.exit(main())

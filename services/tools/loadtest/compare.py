"""`python -m services.tools.loadtest.compare`: one workload across topologies x modes, on one CPU budget.

For each topology it reconfigures the compose stack itself (worker replicas, CPU limit, pool size),
waits until exactly those workers report, then runs one load test per mode. Prints one comparison
table and writes reports/compare-*.json and .png.
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

from services.tools.loadtest import chart
from services.tools.loadtest.session import Target, run_load_test
from services.tools.loadtest.stack_info import worker_containers
from services.tools.loadtest.topologies import Topology, by_name, topologies
from services.tools.loadtest.workload import Workload

REPO = Path(__file__).resolve().parents[2]
MODES = ("local", "distributed", "hybrid")


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
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--down", action="store_true", help="remove the stack at the end")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - set(MODES):
        parser.error(f"--modes takes a comma-separated subset of {', '.join(MODES)}")
    args.modes = modes
    try:
        names = [n for n in args.topologies.split(",") if n]
        args.topologies = by_name(args.budget, names) if names else topologies(args.budget)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def compose(project: str, env: dict[str, str], *args: str) -> None:
    """`docker compose -p PROJECT ARGS` in the repo, failing loudly with its output."""
    result = subprocess.run(
        ["docker", "compose", "-p", project, *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def reconfigure(project: str, port: int, topology: Topology, client: docker.DockerClient, url: str) -> None:
    """Bring the stack to this topology and wait until exactly its workers report, with their pool size."""
    env = {**os.environ, **topology.env(), "API_PORT": str(port)}
    compose(project, env, "up", "-d", "--wait", "--build", "--remove-orphans")
    hosts = {c.attrs["Config"]["Hostname"] for c in worker_containers(client, project)}
    # Each container's report sums its consumers' pools (WORKER_CONSUMERS, as compose gets it from here).
    consumers = int(env.get("WORKER_CONSUMERS") or 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            reports = httpx.get(f"{url}/workers", timeout=5).json()
            if {r["host"] for r in reports} == hosts and all(
                (r["consumers"], r["pool_processes"]) == (consumers, topology.pool * consumers)
                for r in reports
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"workers of topology {topology.name} did not all report within 60 s")


def row(topology: Topology, report: dict[str, Any]) -> dict[str, Any]:
    """The comparison's line for one load test."""
    return {
        "topology": topology.name,
        "layout": topology.describe(),
        "mode": report["workload"]["mode"],
        "jobs": report["submitted"],
        "exact": report["exact"],
        "lost": report["lost"],
        "jobs_per_second": report["jobs_per_second"],
        "latency_p50": report["latency_seconds"]["p50"],
        "latency_p95": report["latency_seconds"]["p95"],
        "efficiency": report["efficiency"],
        "worker_cores": report["cpu"]["worker_cores"],
        "worker_cores_self": report["cpu"]["worker_cores_self"],
        "baseline_seconds": report["baseline"]["seconds_per_job"],
        "report": report["files"]["json"],
    }


def render(rows: list[dict[str, Any]], title: str, console: Console) -> None:
    table = Table(title=title)
    for column in (
        "topology",
        "workers",
        "mode",
        "exact",
        "jobs/s",
        "p50 s",
        "p95 s",
        "efficiency",
        "cores used",
    ):
        table.add_column(column, justify="left" if column in ("topology", "workers", "mode") else "right")
    for r in rows:
        table.add_row(
            r["topology"],
            r["layout"],
            r["mode"],
            f"{r['exact']}/{r['jobs']}",
            f"{r['jobs_per_second']:.2f}",
            f"{r['latency_p50']:.2f}",
            f"{r['latency_p95']:.2f}",
            f"{100 * r['efficiency']:.0f} %" if r["efficiency"] else "-",
            f"{r['worker_cores'] or 0:.2f}",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    url = f"http://127.0.0.1:{args.port}"
    client = docker.from_env()
    rows = []
    try:
        for topology in args.topologies:
            console.print(f"[b]{topology.name}[/b]: {topology.describe()} (reconfiguring the stack)")
            reconfigure(args.project, args.port, topology, client, url)
            for mode in args.modes:
                workload = Workload(args.kernel, args.size, args.jobs, args.concurrency, mode)
                report = run_load_test(
                    Target(url, args.project), workload, args.reports, label=f"loadtest-{topology.name}"
                )
                rows.append(row(topology, report))
                console.print(
                    f"  {mode}: {report['exact']}/{report['submitted']} exact, "
                    f"{report['jobs_per_second']:.2f} jobs/s"
                )
    finally:
        if args.down:
            compose(
                args.project, {**os.environ, "API_PORT": str(args.port)}, "down", "-v", "--remove-orphans"
            )
        client.close()
    title = (
        f"{args.jobs} {args.kernel} jobs of {args.size:,} units, {args.concurrency} in flight, "
        f"CPU budget {args.budget}"
    )
    render(rows, title, console)
    args.reports.mkdir(parents=True, exist_ok=True)
    stem = args.reports / f"comparison-{time.strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".json").write_text(json.dumps({"title": title, "rows": rows}, indent=2))
    chart.comparison_chart(rows, stem.with_suffix(".png"))
    console.print(f"reports: {stem}.json, {stem}.png")
    if not args.down:
        console.print(
            f"The stack is left as [b]{args.topologies[-1].name}[/b]; `make up` restores your settings."
        )
    return 0 if all(r["exact"] == r["jobs"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""`python -m services.loadtest`: load the running stack, print a table, write reports/loadtest-*.json."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from services.loadtest.report import summarise
from services.loadtest.runner import run_all
from services.loadtest.workload import Workload


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_url = f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}"
    parser = argparse.ArgumentParser(prog="python -m services.loadtest", description=__doc__)
    parser.add_argument("--url", default=default_url, help="the API (default: %(default)s)")
    parser.add_argument("--kernel", choices=("primes", "pi"), default="primes")
    parser.add_argument(
        "--size", type=int, default=300_000, help="units per job: primes [0, size) or pi samples"
    )
    parser.add_argument("--jobs", type=int, default=40, help="jobs to submit")
    parser.add_argument("--concurrency", type=int, default=8, help="jobs in flight at once")
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="units per pool task (default: the worker's)"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for one job")
    parser.add_argument("--reports", type=Path, default=Path("reports"), help="folder for the JSON report")
    args = parser.parse_args(argv)
    for name in ("size", "jobs", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def render(report: dict, console: Console) -> None:
    w = report["workload"]
    title = f"load test: {w['jobs']} {w['kernel']} jobs of {w['size']:,} units, {w['concurrency']} in flight"
    table = Table(title=title, show_header=False)
    lat = report["latency_seconds"]
    rows = [
        (
            "jobs submitted / finished / exact",
            f"{report['submitted']} / {report['finished']} / {report['exact']}",
        ),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in report["statuses"].items())),
        ("wall time", f"{report['wall_seconds']:.2f} s"),
        ("throughput", f"{report['jobs_per_second']:.2f} jobs/s, {report['units_per_second']:,.0f} units/s"),
        ("latency p50 / p95 / p99", " / ".join("-" if v is None else f"{v:.3f} s" for v in lat.values())),
        ("cores busy with job work", f"{report['jobs_cores_busy']:.2f}"),
        ("jobs per worker container", ", ".join(f"{h}: {n}" for h, n in report["jobs_per_host"].items())),
        ("chunk size used", ", ".join(map(str, report["chunk_sizes"]))),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for error in report["errors"]:
        console.print(f"[red]error:[/red] {error}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    workload = Workload(args.kernel, args.size, args.jobs, args.concurrency, args.chunk_size)
    try:
        httpx.get(f"{args.url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        console.print(f"[red]The API at {args.url} is not answering ({exc}). Start the stack: make up[/red]")
        return 2
    with Progress(
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("jobs", total=workload.jobs)
        outcomes, wall = run_all(args.url, workload, args.timeout, lambda _: progress.advance(task))
    report = summarise(workload, outcomes, wall, workload.expected())
    render(report, console)
    args.reports.mkdir(parents=True, exist_ok=True)
    path = args.reports / f"loadtest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    console.print(f"report: {path}")
    ok = report["exact"] == report["submitted"]
    if not ok:
        console.print("[red]not every job finished with the exact answer[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

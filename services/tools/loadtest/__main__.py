"""`python -m services.tools.loadtest`: load the running stack, watch per-container CPU, report exactly.

Prints a summary table and the CPU per container (Docker's figure beside the workers' own), and writes
reports/loadtest-*.json and .png. Exits 1 unless every submitted job finished with the exact answer.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.tools import preflight
from services.tools.loadtest.accounting import LABELS, LINES
from services.tools.loadtest.session import Target, run_load_test
from services.tools.loadtest.traffic_table import traffic_table
from services.tools.loadtest.workload import Workload
from services.tools.monitor.stats import PIPED_WIDTH
from services.tools.stack import default_project, default_url


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.tools.loadtest", description=__doc__)
    parser.add_argument("--url", default=default_url(), help="the API (default: %(default)s)")
    parser.add_argument(
        "--project",
        default=default_project(),
        help="compose project whose containers to watch (default: %(default)s)",
    )
    parser.add_argument("--kernel", choices=("primes", "pi"), default="primes")
    parser.add_argument("--mode", choices=("local", "distributed", "hybrid"), default="local")
    parser.add_argument(
        "--size", type=int, default=300_000, help="units per job: primes [0, size) or pi samples"
    )
    parser.add_argument("--jobs", type=int, default=40, help="jobs to submit")
    parser.add_argument("--concurrency", type=int, default=8, help="jobs in flight at once")
    parser.add_argument("--chunk-size", type=int, default=None, help="units per chunk (default: the stack's)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for one job")
    preflight.add_wait_workers_option(parser)
    parser.add_argument(
        "--reports", type=Path, default=Path("reports"), help="folder for JSON and PNG reports"
    )
    args = parser.parse_args(argv)
    for name in ("size", "jobs", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def _num(value: float | None, fmt: str = ".1f") -> str:
    return "-" if value is None else format(value, fmt)


def render(report: dict[str, Any], console: Console) -> None:
    """The summary table, then CPU per container grouped by service."""
    w, top = report["workload"], report["topology"]
    title = (
        f"{w['jobs']} {w['kernel']} jobs of {w['size']:,} units, mode {w['mode']}, {w['concurrency']} in "
        f"flight; {top['workers']} workers, CPU budget {top['cpu_budget']:g}"
    )
    table = Table(title=title, show_header=False)
    lat = report["latency_seconds"]
    rows = [
        (
            "jobs submitted / finished / exact / lost",
            f"{report['submitted']} / {report['finished']} / {report['exact']} / {report['lost']}",
        ),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in report["statuses"].items())),
        ("wall time", f"{report['wall_seconds']:.2f} s"),
        ("throughput", f"{report['jobs_per_second']:.2f} jobs/s, {report['units_per_second']:,.0f} units/s"),
        ("latency p50 / p95 / p99", " / ".join(f"{_num(v, '.3f')} s" for v in lat.values())),
        (
            "baseline (1 process)",
            f"{report['baseline']['seconds_per_job']:.3f} s/job in {report['baseline']['where']}",
        ),
        (
            "parallel efficiency",
            f"{_num(100 * report['efficiency'] if report['efficiency'] else None)} % of "
            f"baseline x {top['cpu_budget']:g} cores",
        ),
        (
            "worker cores used (docker / self)",
            " / ".join(_num(report["cpu"][k], ".2f") for k in ("worker_cores", "worker_cores_self")),
        ),
        ("chunk size used", ", ".join(map(str, report["chunk_sizes"])) or "-"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    cpu = Table(
        title="CPU % per container during the run (100 = one core): Docker's figure, and the container's own",
        caption="throttled: CFS periods of the run the container's quota stopped it in (cgroup cpu.stat); "
        "held back: seconds it waited",
    )
    columns = (
        "service",
        "container",
        "limit",
        "docker",
        "max",
        "self",
        "max",
        "jobs",
        "throttled",
        "held back",
    )
    for column in columns:
        cpu.add_column(column, justify="left" if column in ("service", "container") else "right")
    project = report["topology"].get("project", "")
    throttling = report["accounting"].get("throttling", {})
    for name, service in report["cpu"]["services"].items():
        members = [c for c in report["cpu"]["containers"] if c["service"] == name]
        for c in members:
            cpu.add_row(
                name,
                c["name"].removeprefix(project + "-"),
                _num(c["cpu_limit"], "g"),
                _num(c["mean_percent"]),
                _num(c["max_percent"]),
                _num(c["self_mean_percent"]),
                _num(c["self_max_percent"]),
                str(report["jobs_per_host"].get(c["hostname"], "")),
                *throttled_cells(throttling.get(c["name"])),
            )
        if len(members) > 1:
            cpu.add_row(
                name, "all", _num(service["cpu_limit"], "g"), f"[b]{_num(service['mean_percent'])}[/b]"
            )
        cpu.rows[-1].end_section = True
    cpu.add_row("[b]total[/b]", "", "", f"[b]{report['cpu']['total_cores'] * 100:.1f}[/b]")
    console.print(cpu)
    console.print(accounting_table(report["accounting"]))
    if report.get("traffic"):
        console.print(traffic_table(report["traffic"], project))
    for error in report["errors"]:
        console.print(f"[red]error:[/red] {error}")


def throttled_cells(throttling: dict[str, Any] | None) -> tuple[str, str]:
    """A container's throttling over the run: % of its CFS periods, and seconds held back."""
    if throttling is None:
        return "-", "-"
    share = throttling["throttled_share"]
    return (
        "no quota" if share is None else f"{100 * share:.1f} %",
        f"{throttling['throttled_seconds']:.2f} s",
    )


def accounting_table(accounting: dict[str, Any]) -> Table:
    """Where the host's cores went during the run: the work, our apparatus, the rest, idle."""
    table = Table(
        title=f"Where the {accounting['host_cores']} cores went during the run "
        f"({accounting['wall_seconds']:.1f} s; from cgroups and /proc)"
    )
    table.add_column("", no_wrap=True)
    table.add_column("core-seconds", justify="right", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    for line in LINES:
        seconds, share = accounting["core_seconds"][line], accounting["share"][line]
        table.add_row(LABELS[line], f"{seconds:.2f}", f"{100 * share:.1f} %")
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    workload = Workload(args.kernel, args.size, args.jobs, args.concurrency, args.mode, args.chunk_size)
    try:
        preflight.require_api(args.url)
        preflight.wait_for_workers(
            args.url, args.wait_workers, lambda line: print(f"load-test: {line}", flush=True)
        )
        preflight.docker_client().close()
    except preflight.NotReady as exc:
        return preflight.refuse("load-test", exc)
    columns = (TextColumn("jobs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("jobs", total=workload.jobs)
        report = run_load_test(
            Target(args.url, args.project),
            workload,
            args.reports,
            args.timeout,
            on_done=lambda _: progress.advance(task),
        )
    render(report, console)
    console.print(f"reports: {report['files']['json']}, {report['files']['png']}")
    if report["exact"] != report["submitted"]:
        console.print("[red]not every job finished with the exact answer[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

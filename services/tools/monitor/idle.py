"""`python -m services.tools.monitor.idle`: what the running stack costs with nothing to do.

Reads each container's cgroup CPU counter, and the engine's processes, twice, SECONDS apart, with no
job queued, and prints the CPU each used as a share of one core. Healthchecks, heartbeats and idle
polling all land here; the target is at most 1 % of one core for all the containers together. The
engine (dockerd, containerd, the shims that run each healthcheck's `docker exec`) is shown on its own
line: it runs outside the containers, on the same cores. Writes reports/idle-*.json.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import docker
from rich.console import Console
from rich.table import Table

from services.tools import preflight
from services.tools.monitor.cgroups import CgroupMeter, used_between
from services.tools.monitor.stats import PIPED_WIDTH
from services.tools.stack import containers, default_project, service_of

# The whole idle stack's containers together may use at most this share of one core.
TARGET_PERCENT = 1.0


def measure(client: docker.DockerClient, project: str, seconds: float) -> dict[str, Any]:
    """CPU % of one core per container, and of the engine, over `seconds` of the stack at rest."""
    running = containers(client, project)
    if not running:
        raise SystemExit(f"no running container in compose project {project!r}: start it with `make up`")
    services = {c.name: service_of(c) for c in running}
    health = {c.name: c.attrs["State"].get("Health", {}).get("Status", "none") for c in running}
    meter = CgroupMeter({c.name: c.attrs["State"]["Pid"] for c in running})
    if meter.unreadable:
        raise SystemExit(f"cannot read the cgroup of {', '.join(meter.unreadable)} (run on the Docker host)")
    before = meter.read(time.monotonic())
    time.sleep(seconds)
    after = meter.read(time.monotonic())
    used, engine = used_between(before, after)
    span = after.at - before.at
    rows = [
        {
            "container": name,
            "service": services[name],
            "health": health[name],
            "cpu_seconds": round(cpu, 4),
            "percent_of_core": round(100 * cpu / span, 3),
        }
        for name, cpu in sorted(used.items())
    ]
    total = sum(r["percent_of_core"] for r in rows)
    return {
        "project": project,
        "seconds": round(span, 2),
        "containers": rows,
        "containers_percent_of_core": round(total, 3),
        "engine_percent_of_core": round(100 * engine / span, 3),
        "target_percent_of_core": TARGET_PERCENT,
        "within_target": total <= TARGET_PERCENT,
    }


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"The idle stack, {result['project']}: CPU over {result['seconds']:g} s (100 % = one core)"
    )
    for column in ("service", "container", "health", "CPU s", "% of a core"):
        table.add_column(column, justify="right" if column.startswith(("CPU", "%")) else "left")
    for r in result["containers"]:
        short = r["container"].removeprefix(f"{result['project']}-")
        table.add_row(
            r["service"], short, r["health"], f"{r['cpu_seconds']:.3f}", f"{r['percent_of_core']:.2f}"
        )
    table.add_section()
    verdict = "✓" if result["within_target"] else "✗"
    table.add_row(
        "all containers",
        "",
        "",
        "",
        f"{result['containers_percent_of_core']:.2f} {verdict} (≤ {result['target_percent_of_core']:g})",
    )
    table.add_row("engine", "dockerd, containerd, shims", "", "", f"{result['engine_percent_of_core']:.2f}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.tools.monitor.idle", description=__doc__)
    parser.add_argument("--project", default=default_project())
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    try:
        client = preflight.docker_client()
    except preflight.NotReady as exc:
        return preflight.refuse("idle", exc)
    try:
        try:
            preflight.require_containers(client, args.project)
        except preflight.NotReady as exc:
            return preflight.refuse("idle", exc)
        console.print(f"measuring the idle stack for {args.seconds:g} s (queue nothing meanwhile)…")
        result = measure(client, args.project, args.seconds)
    finally:
        client.close()
    render(result, console)
    args.reports.mkdir(parents=True, exist_ok=True)
    path = args.reports / f"idle-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    console.print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

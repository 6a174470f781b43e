"""Live CPU per container of the compose project, by service: `python -m services.tools.monitor.stats`.

Like `docker stats`, but limited to one project, with each container's CPU limit beside its use,
the cores each service (and the whole project) is using, and how much its quota throttled it since the
monitor started: the share of CFS periods that ended throttled, and the seconds it was held back (from
the same stats frames, `throttling_data`).
"""

import argparse
import contextlib
import sys
import time

import docker.errors
from rich import box
from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from services.tools import preflight
from services.tools.monitor.cpu_series import ContainerSeries
from services.tools.monitor.docker_cpu import ENGINE_TICK, CpuSampler
from services.tools.stack import default_project
from shared.cgroup.throttling import ZERO, Throttling

# Samples kept per container (an hour at one a second): a monitor left open must not grow forever.
MAX_SAMPLES = 3600
# Console width when the output is not a terminal (rich would assume 80 columns).
PIPED_WIDTH = 160


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the project defaults to COMPOSE_PROJECT_NAME, as compose's own does."""
    parser = argparse.ArgumentParser(prog="python -m services.tools.monitor.stats", description=__doc__)
    parser.add_argument(
        "--project",
        default=default_project(),
        help="compose project to watch (default: $COMPOSE_PROJECT_NAME or %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=ENGINE_TICK,
        help=f"seconds between samples; the engine refreshes every {ENGINE_TICK:g}s (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _limit(cores: float | None) -> str:
    return "none" if cores is None else f"{cores:.2f}"


def _percent(value: float | None) -> str:
    return "…" if value is None else f"{value:.1f} %"


def _cores(percent: float | None) -> str:
    return "…" if percent is None else f"{percent / 100:.2f} cores"


def _throttled_share(counters: Throttling | None) -> str:
    """Throttled periods as a % of periods; "no quota" when the kernel counted no period."""
    if counters is None:
        return "…"
    return "no quota" if counters.share is None else f"{100 * counters.share:.1f} %"


def _throttled_seconds(counters: Throttling | None) -> str:
    return "…" if counters is None else f"{counters.throttled_seconds:.2f} s"


def _throttled_sum(members: list[ContainerSeries]) -> Throttling | None:
    """The members' throttling added up; None while none is known yet."""
    known = [c for c in (m.throttled() for m in members) if c is not None]
    return sum(known, ZERO) if known else None


def _mean(one: ContainerSeries) -> float | None:
    return sum(p for _, p in one.samples) / len(one.samples) if one.samples else None


def _sum(values: list[float | None]) -> float | None:
    """Sum of the known values; None while none is known yet."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _short_name(name: str, project: str) -> str:
    """`worker-1` for `cpu-contrast-worker-1`: the title already names the project."""
    return name.removeprefix(f"{project}-") or name


def _total_limit(limits: list[float | None]) -> float | None:
    """Limits added up; one unlimited container makes the group unlimited."""
    return None if None in limits else sum(x for x in limits if x is not None)


def render(
    series: list[ContainerSeries], project: str, interval: float, error: Exception | None
) -> RenderableType:
    """The table: a section per service (its containers in %, then its total in cores), then the total."""
    running = [s for s in series if s.active]
    if not running:
        note = f"No running containers in compose project {project!r}"
        hint = "start the stack with `make up`, or choose another with --project or COMPOSE_PROJECT_NAME"
        text = Text(f"{note}: {hint}. Waiting… (Ctrl-C to quit)", style="yellow")
        if error is not None:
            text.append(f"\nDocker: {error}", style="red")
        return text

    table = Table(
        title=f"CPU of compose project {project!r}",
        # No vertical rules: the full table fits an 80-column terminal.
        box=box.SIMPLE_HEAD,
        caption=f"100 % = one CPU · a sample every {interval:g} s · avg over up to {MAX_SAMPLES} samples"
        " · throttled: periods stopped by the CPU quota, since the start · Ctrl-C to quit",
    )
    table.add_column("Service", style="bold", no_wrap=True)
    # Whole names and hosts: the hostname is what the workers report, so both must stay readable.
    table.add_column("Container", no_wrap=True)
    table.add_column("Host", no_wrap=True)
    table.add_column("CPU now", justify="right", no_wrap=True)
    table.add_column("CPU avg", justify="right", no_wrap=True)
    table.add_column("Limit (cores)", justify="right", no_wrap=True)
    table.add_column("Throttled", justify="right", no_wrap=True)
    table.add_column("Held back", justify="right", no_wrap=True)

    everyone: list[ContainerSeries] = []
    for service in dict.fromkeys(s.service for s in running):
        members = [s for s in running if s.service == service]
        for i, one in enumerate(members):
            table.add_row(
                service if i == 0 else "",
                _short_name(one.name, project),
                one.hostname,
                _percent(one.latest),
                _percent(_mean(one)),
                _limit(one.cpu_limit),
                _throttled_share(one.throttled()),
                _throttled_seconds(one.throttled()),
            )
        if len(members) > 1:
            table.add_row(*_totals("", "total", members), style="bold")
        table.add_section()
        everyone += members
    table.add_row(*_totals("all", "total", everyone), style="bold cyan")
    if error is not None:
        table.caption = f"Docker: {error}"
        table.caption_style = "red"
    return table


def _totals(service: str, label: str, members: list[ContainerSeries]) -> tuple[str, ...]:
    """A total row: CPU now and average in cores, and the limits added up."""
    return (
        service,
        label,
        "",
        _cores(_sum([m.latest for m in members])),
        _cores(_sum([_mean(m) for m in members])),
        _limit(_total_limit([m.cpu_limit for m in members])),
        _throttled_share(_throttled_sum(members)),
        _throttled_seconds(_throttled_sum(members)),
    )


def watch(sampler: CpuSampler, console: Console, interval: float) -> None:
    """Redraw until Ctrl-C: in place on a terminal, one table per interval when piped to a file."""
    if console.is_terminal:
        with Live(console=console, auto_refresh=False) as live:
            while True:
                live.update(
                    render(sampler.series(), sampler.project, interval, sampler.last_error), refresh=True
                )
                time.sleep(interval)
    previous_note = ""
    while True:
        view = render(sampler.series(), sampler.project, interval, sampler.last_error)
        # A waiting note repeated every second would bury the log; print it when it changes.
        if not (isinstance(view, Text) and view.plain == previous_note):
            console.print(view)
        previous_note = view.plain if isinstance(view, Text) else ""
        time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    """Run the live view; 0 on Ctrl-C, 2 when the Docker engine or the stack is not running."""
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal and console.width < PIPED_WIDTH:
        # Piped into a file or a test: no screen to fit, so keep full names on one line.
        console = Console(width=PIPED_WIDTH)
    # Before any thread starts: no engine, or no stack to watch, is one line and exit status 2.
    try:
        client = preflight.docker_client()
        try:
            preflight.require_containers(client, args.project)
        finally:
            client.close()
    except preflight.NotReady as exc:
        return preflight.refuse("stats", exc)
    sampler = CpuSampler(args.project, args.interval, max_samples=MAX_SAMPLES)
    try:
        try:
            sampler.start()
        except docker.errors.DockerException as exc:
            return preflight.refuse("stats", preflight.NotReady(f"Docker stopped answering ({exc})"))
        watch(sampler, console, sampler.interval)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C while the threads wind down: they are daemons, so just leave.
        with contextlib.suppress(KeyboardInterrupt):
            sampler.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

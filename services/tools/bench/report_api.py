"""The bench's API figures: enqueue throughput, and long polls held on one API process."""

from typing import Any

from services.tools.bench.defaults import TARGETS
from services.tools.bench.figures import Figure, Section, at_least, at_most, below, ms


def enqueue(r: dict[str, Any]) -> Section:
    """4. Enqueue throughput through the API, no worker running."""
    en = r["enqueue"]
    batch = en["batch"]
    figures = (
        Figure(name="POST /jobs, sequential", value=en["sequential"], unit="/s"),
        Figure(name=f"POST /jobs, {en['concurrency']} concurrent", value=en["concurrent"], unit="/s"),
        Figure(
            name=f"POST /jobs/batch, {en['batch_size']} jobs each",
            value=batch,
            unit="/s",
            beside=f"{batch / en['sequential']:.1f}x sequential",
            target=at_least(batch, TARGETS.batch_jobs_per_second),
        ),
    )
    return Section(title="4. enqueue through the API", note="jobs accepted per second", figures=figures)


def watchers(r: dict[str, Any]) -> Section:
    """6. Long polls held on one API process, and the other routes meanwhile."""
    w = r["watchers"]
    held = min(w["held"], w["answered"])
    figures = [
        Figure(
            name="watchers held and answered",
            value=held,
            unit="n",
            beside=f"of {w['watchers']:,}; API {w['api_cpu_percent_held']:.1f} % of a core",
            target=at_least(held, TARGETS.watchers),
        ),
        Figure(
            name="Redis commands while held",
            value=w["redis_commands_held"],
            unit="n",
            target=at_most(w["redis_commands_held"], 0),
        ),
    ]
    for route, label in (("health", "GET /health"), ("post", "POST /jobs")):
        idle, busy = w["idle"][route], w["watching"][route]
        figures.append(
            Figure(
                name=f"{label} p99 while held",
                value=busy["p99_seconds"],
                unit="ms",
                beside=f"p50 {ms(busy['p50_seconds'])}; "
                f"{busy['p99_seconds'] / idle['p99_seconds']:.2f}x the p99 with none held",
                target=below(busy["p99_seconds"], TARGETS.watching_p99_seconds),
            )
        )
    probes = w["watching"]["health"]["requests"]
    note = f"{w['watchers']:,} GET /jobs/{{id}}?wait= on one API process, no worker; {probes} probes in a row"
    return Section(title="6. watchers", note=note, figures=tuple(figures))

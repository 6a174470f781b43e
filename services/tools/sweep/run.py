"""The sweep's runs: every round of every point of every line, interleaved, on the real stack.

Each round reconfigures the stack once per configuration the lines need (services/tools/sweep/lines.py)
and, while it is in the first, measures each point's references in the worker image: the ceiling, the
same jobs and tasks on a bare Pool of the whole budget under the same CPU limit (worker/ceiling.py
--task-size), and one job in one process (worker/baseline.py), which gives the task duration actually
run. Then every line runs each point's jobs through the API with the point's `chunk_size`, measured as
make compare measures a cell: every answer checked against the exact one, and the cores' accounting
(services/tools/loadtest/accounting.py). Rounds are interleaved, so a drifting machine drifts for every
line alike.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from rich.console import Console

from services.tools.loadtest.compare import compose, reconfigure, round_row, summarise_cell
from services.tools.loadtest.session import Target, run_load_test
from services.tools.loadtest.spread import spread
from services.tools.loadtest.stack_info import run_in_image, worker_image
from services.tools.loadtest.workload import Workload
from services.tools.sweep.crossover import THRESHOLD
from services.tools.sweep.lines import Line, groups
from services.tools.sweep.points import Point, duration
from shared.tally import Tally


@dataclass(frozen=True)
class Sweep:
    """What one `make sweep` runs: its points and lines, on which stack, how often."""

    project: str
    port: int
    budget: int
    kernel: str
    points: list[Point]
    lines: list[Line]
    rounds: int
    concurrency: int
    reports: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workload(self, point: Point, mode: str) -> Workload:
        return Workload(self.kernel, point.size, point.jobs, self.concurrency, mode, point.chunk_size)

    def title(self) -> str:
        work = self.points[0].jobs * self.points[0].size  # the same work at every point
        return (
            f"{self.points[0].jobs} {self.kernel} jobs per point ({work:,} units in all), "
            f"{self.concurrency} in flight, CPU budget {self.budget}, {self.rounds} rounds"
        )


def references(
    client: docker.DockerClient, image: str, sweep: Sweep, point: Point, expected: Tally
) -> tuple[dict[str, Any], dict[str, Any]]:
    """This round's ceiling at this point (bare Pool, same tasks) and baseline (one job, one process)."""
    ceiling = run_in_image(
        client,
        image,
        sweep.budget,
        ["python", "-m", "worker.ceiling", sweep.kernel, str(point.size), str(point.jobs), str(sweep.budget)]
        + ["--task-size", str(point.chunk_size)],
    )
    ceiling["exact"] = ceiling.pop("all_equal") and Tally(ceiling["count"], ceiling["histogram"]) == expected
    one = run_in_image(
        client, image, 1, ["python", "-m", "worker.baseline", sweep.kernel, str(point.size), "--repeat", "1"]
    )
    baseline = {
        "where": "worker image, 1 CPU",
        "seconds_per_job": one["seconds_per_job"],
        "units_per_second": point.size / one["seconds_per_job"],
        "task_seconds": one["seconds_per_job"] / point.tasks_per_job,
    }
    return ceiling, baseline


@dataclass
class Rounds:
    """What the rounds measured so far, per point: ceilings, baselines, and each line's rows."""

    ceilings: list[list[dict[str, Any]]]
    baselines: list[list[dict[str, Any]]]
    rows: list[dict[str, list[dict[str, Any]]]]

    @classmethod
    def empty(cls, sweep: Sweep) -> "Rounds":
        n = len(sweep.points)
        rows = [{line.key: [] for line in sweep.lines} for _ in range(n)]
        return cls([[] for _ in range(n)], [[] for _ in range(n)], rows)


def run_round(
    sweep: Sweep,
    index: int,
    expected: list[Tally],
    done: Rounds,
    client: docker.DockerClient,
    console: Console,
) -> None:
    """One round: each configuration once, every point's references in the first, every line's cells."""
    for position, (topology, group) in enumerate(groups(sweep.lines)):
        console.print(f"  {topology.describe()} (reconfiguring the stack)")
        reconfigure(sweep.project, sweep.port, topology, client, sweep.url)
        image = worker_image(client, sweep.project)
        for p, point in enumerate(sweep.points):
            if position == 0:
                ceiling, baseline = references(client, image, sweep, point, expected[p])
                done.ceilings[p].append(ceiling)
                done.baselines[p].append(baseline)
                console.print(
                    f"  {point.label} tasks (measured {duration(baseline['task_seconds'])}): the ceiling "
                    f"{ceiling['jobs_per_second']:.2f} jobs/s, {'exact' if ceiling['exact'] else 'WRONG'}"
                )
            for line in group:
                report = run_load_test(
                    Target(sweep.url, sweep.project),
                    sweep.workload(point, line.cell.mode),
                    sweep.reports / "sweep-cells",
                    label=f"sweep-{line.key}-{point.chunk_size}",
                    baseline=done.baselines[p][-1],
                    watch=False,
                )
                row = round_row(report, done.ceilings[p][-1], index)
                done.rows[p][line.key].append(row)
                console.print(
                    f"  {point.label} {line.key}: {row['exact']}/{row['jobs']} exact, "
                    f"{row['jobs_per_second']:.2f} jobs/s, {100 * row['of_ceiling']:.0f} % of the ceiling"
                )


def run(sweep: Sweep, console: Console, down: bool = False) -> dict[str, Any]:
    """Every round; the sweep as a JSON-ready dict, every round of every cell kept."""
    client = docker.from_env()
    env = {**os.environ, "API_PORT": str(sweep.port)}
    # The exact answers, on the host before anything runs (not to compete with the measured cores).
    expected = [sweep.workload(point, "local").expected() for point in sweep.points]
    done = Rounds.empty(sweep)
    try:
        compose(sweep.project, env, "build")
        for index in range(sweep.rounds):
            console.print(f"[b]round {index + 1} of {sweep.rounds}[/b]")
            run_round(sweep, index, expected, done, client, console)
    finally:
        if down:
            compose(sweep.project, env, "down", "-v", "--remove-orphans")
        client.close()
    return {
        "title": sweep.title(),
        "budget": sweep.budget,
        "kernel": sweep.kernel,
        "rounds": sweep.rounds,
        "concurrency": sweep.concurrency,
        "threshold": THRESHOLD,
        "lines": [line.as_dict() for line in sweep.lines],
        "points": [
            point_summary(
                point,
                done.ceilings[p],
                done.baselines[p],
                {line: done.rows[p][line.key] for line in sweep.lines},
            )
            for p, point in enumerate(sweep.points)
        ],
    }


def point_summary(
    point: Point,
    ceilings: list[dict[str, Any]],
    baselines: list[dict[str, Any]],
    rows: dict[Line, list[dict[str, Any]]],
) -> dict[str, Any]:
    """One point over its rounds: the references and every line's cell, every round kept."""
    return {
        "seconds": point.seconds,
        "size": point.size,
        "chunk_size": point.chunk_size,
        "jobs": point.jobs,
        "tasks_per_job": point.tasks_per_job,
        "task_seconds": spread([b["task_seconds"] for b in baselines]),
        "ceiling": {
            "rounds": len(ceilings),
            "exact_rounds": sum(c["exact"] for c in ceilings),
            "jobs_per_second": spread([c["jobs_per_second"] for c in ceilings]),
            "every_round": ceilings,
        },
        "baseline": {"every_round": baselines},
        "cells": {line.key: summarise_cell(line.cell, rounds) for line, rounds in rows.items() if rounds},
    }

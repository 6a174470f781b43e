"""Every round of every cell, interleaved: each round measures its ceiling and baseline (and the rows in
one container beside the ceiling), then runs the cells group by group, reconfiguring the stack between
groups; a machine that drifts drifts for all."""

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docker
from rich.console import Console

from services.tools.loadtest.compare.cell import run_cell
from services.tools.loadtest.compare.peers import QueuePeer, measure_peer, summarise_peer
from services.tools.loadtest.compare.peers import said as said_peer
from services.tools.loadtest.compare.references import measure_references
from services.tools.loadtest.compare.rows import (
    Baseline,
    Baselines,
    CeilingRound,
    Comparison,
    PeerRound,
    RoundRow,
    RuntimeRound,
    WorkloadShape,
)
from services.tools.loadtest.compare.runtimes import (
    Runtime,
    build_bases,
    measure_runtimes,
    profiles,
    said,
    summarise_runtime,
)
from services.tools.loadtest.compare.stack import ComposeStack
from services.tools.loadtest.compare.summary import summarise_ceiling, summarise_cell
from services.tools.loadtest.topologies import Group, Topology
from services.tools.loadtest.workload import Workload
from services.tools.sweep.points import duration


@dataclass(frozen=True)
class Plan:
    """What to compare: the workload, the budget it runs on, the groups of cells, how many rounds."""

    shape: WorkloadShape
    budget: int
    groups: Sequence[Group]
    rounds: int
    reports: Path
    runtimes: Sequence[Runtime] = field(default_factory=tuple)  # rows in one container (runtimes.py)
    # Queue peers in containers (peers.py), each on each of these topologies (those under a quota).
    peers: Sequence[QueuePeer] = field(default_factory=tuple)
    peer_topologies: Sequence[Topology] = field(default_factory=tuple)

    def workload(self, mode: str) -> Workload:
        s = self.shape
        return Workload(s.kernel, s.size, s.jobs, s.concurrency, mode, s.chunk_size)

    @property
    def title(self) -> str:
        s = self.shape
        tasks = (
            ""
            if s.task_seconds is None
            else f" in tasks of ~{duration(s.task_seconds)} ({s.chunk_size:,} units)"
        )
        return (
            f"{s.jobs} {s.kernel} jobs of {s.size:,} units{tasks}, {s.concurrency} in flight, "
            f"CPU budget {self.budget}, {self.rounds} rounds"
        )


def run(stack: ComposeStack, plan: Plan, console: Console, down: bool = False) -> Comparison:
    """Build the stack's images, run every round of every cell (taking the stack down after if `down`)."""
    client = docker.from_env()
    cells = [cell for group in plan.groups for cell in group.cells]
    rounds: dict[str, list[RoundRow]] = {cell.key: [] for cell in cells}
    ceilings: list[CeilingRound] = []
    in_one: dict[str, list[RuntimeRound]] = {r.key: [] for r in plan.runtimes}
    baselines: list[Baseline] = []
    on_peers: dict[tuple[str, Topology], list[PeerRound]] = {
        (p.key, t): [] for p in plan.peers for t in plan.peer_topologies
    }
    current: Topology | None = None
    try:
        build_bases(stack, plan.runtimes)
        stack.build([*profiles(plan.runtimes), *(p.key for p in plan.peers)])
        for index in range(plan.rounds):
            console.print(f"[b]round {index + 1} of {plan.rounds}[/b]")
            for position, group in enumerate(plan.groups):
                if group.topology != current:
                    console.print(f"  {group.topology.describe()} (reconfiguring the stack)")
                    stack.reconfigure(group.topology, client)
                    current = group.topology
                if position == 0:
                    ceiling, baseline = measure_references(
                        client, stack.project, plan.workload("local"), plan.budget
                    )
                    ceilings.append(ceiling)
                    baselines.append(baseline)
                    console.print(
                        f"  ceiling: {ceiling.jobs_per_second:.2f} jobs/s; "
                        f"one process: {baseline.seconds_per_job:.3f} s/job"
                    )
                    measured = measure_runtimes(
                        client,
                        stack,
                        plan.runtimes,
                        plan.workload("local"),
                        plan.budget,
                        ceiling,
                        baseline,
                        index,
                    )
                    for runtime in plan.runtimes:
                        row = measured[runtime.key]
                        in_one[runtime.key].append(row)
                        console.print(f"  {said(runtime, row)}")
                for cell in group.cells:
                    row = run_cell(
                        stack, cell, plan.workload(cell.mode), plan.reports, ceiling, baseline, index
                    )
                    rounds[cell.key].append(row)
                    console.print(
                        f"  {cell.topology.label} {cell.mode}{' (' + cell.note + ')' if cell.note else ''}: "
                        f"{row.exact}/{row.jobs} exact, {row.jobs_per_second:.2f} jobs/s, "
                        f"{100 * row.of_ceiling:.0f} % of the ceiling"
                    )
            for peer in plan.peers:
                for topology in plan.peer_topologies:
                    measured_peer = measure_peer(
                        client,
                        stack,
                        peer,
                        topology,
                        plan.workload("distributed"),
                        plan.budget,
                        ceiling,
                        baseline,
                        index,
                    )
                    on_peers[(peer.key, topology)].append(measured_peer)
                    console.print(f"  {said_peer(peer, topology, measured_peer)}")
    finally:
        if down:
            stack.down()
        client.close()
    return Comparison(
        title=plan.title,
        budget=plan.budget,
        workload=plan.shape,
        ceiling=summarise_ceiling(ceilings),
        baseline=Baselines(baselines),
        cells=[summarise_cell(cell, rounds[cell.key]) for cell in cells],
        runtimes=[summarise_runtime(r, plan.budget, in_one[r.key]) for r in plan.runtimes],
        peers=[
            summarise_peer(p, t, os.cpu_count() or 1, on_peers[(p.key, t)])
            for p in plan.peers
            for t in plan.peer_topologies
        ],
    )

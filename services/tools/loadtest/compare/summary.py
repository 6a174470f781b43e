"""From measurements to make compare's rows: a load test's report as a round, rounds as a median and range."""

from collections.abc import Sequence
from typing import Any

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare import traffic
from services.tools.loadtest.compare.rows import (
    CeilingRound,
    CeilingSummary,
    CellSummary,
    RoundRow,
    Throttled,
)
from services.tools.loadtest.spread import spread
from services.tools.loadtest.topologies import Cell
from shared.cgroup.throttling import ZERO, Throttling


def workers_throttling(per_container: dict[str, dict[str, Any]]) -> Throttled:
    """The worker containers' throttling over a run, added up: periods, throttled ones, share, seconds."""
    workers = [t for t in per_container.values() if t["service"] == "worker"]
    total = sum(
        (Throttling(t["periods"], t["throttled_periods"], t["throttled_seconds"]) for t in workers), ZERO
    )
    return Throttled(**total.as_dict())


def round_row(report: dict[str, Any], ceiling: CeilingRound, index: int) -> RoundRow:
    """One cell's figures in one round (a load test's report), with its share of that round's ceiling."""
    return RoundRow(
        round=index,
        jobs=report["submitted"],
        exact=report["exact"],
        lost=report["lost"],
        jobs_per_second=report["jobs_per_second"],
        of_ceiling=report["jobs_per_second"] / ceiling.jobs_per_second,
        efficiency=report["efficiency"],
        latency_p50=report["latency_seconds"]["p50"],
        latency_p95=report["latency_seconds"]["p95"],
        worker_cores=report["cpu"]["worker_cores"],
        throttling=workers_throttling(report["accounting"]["throttling"]),
        chunk_sizes=report["chunk_sizes"],
        accounting=report["accounting"]["share"],
        report=report["files"]["json"],
        traffic=traffic.of_report(report),
    )


def summarise_cell(cell: Cell, rounds: Sequence[RoundRow]) -> CellSummary:
    """A cell over its rounds: medians and ranges, totals of exact and lost, and every round kept."""
    return CellSummary(
        key=cell.key,
        topology=cell.topology.label,
        pinned=list(cell.topology.cpusets),
        layout=cell.topology.describe(),
        mode=cell.mode,
        note=cell.note,
        worker_class=cell.topology.worker_class,
        consumers=cell.topology.consumers,
        jobs=sum(r.jobs for r in rounds),
        exact=sum(r.exact for r in rounds),
        lost=sum(r.lost for r in rounds),
        jobs_per_second=spread([r.jobs_per_second for r in rounds]),
        of_ceiling=spread([r.of_ceiling for r in rounds]),
        efficiency=spread([r.efficiency for r in rounds]),
        latency_p50=spread([r.latency_p50 for r in rounds]),
        worker_cores=spread([r.worker_cores for r in rounds]),
        throttled_share=spread([r.throttling.throttled_share for r in rounds]),
        throttled_seconds=spread([r.throttling.throttled_seconds for r in rounds]),
        accounting={line: spread([r.accounting[line] for r in rounds]) for line in LINES},
        rounds=list(rounds),
        traffic=traffic.over_rounds([r.traffic for r in rounds]),
    )


def summarise_ceiling(ceilings: Sequence[CeilingRound]) -> CeilingSummary:
    """The ceiling over its rounds: how many were exact, jobs/s and efficiency as a median and range."""
    return CeilingSummary(
        rounds=len(ceilings),
        exact_rounds=sum(c.exact for c in ceilings),
        jobs_per_second=spread([c.jobs_per_second for c in ceilings]),
        efficiency=spread([c.efficiency for c in ceilings]),
        every_round=list(ceilings),
    )

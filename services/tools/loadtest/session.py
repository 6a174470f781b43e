"""One load test against a running stack: baseline, CPU sampling, the jobs, the report files."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from services.tools.loadtest import chart
from services.tools.loadtest.accounting import Ledger
from services.tools.loadtest.report import summarise
from services.tools.loadtest.runner import JobOutcome, run_all
from services.tools.loadtest.self_reports import SelfReportWatcher
from services.tools.loadtest.stack_info import measure_baseline, topology
from services.tools.loadtest.traffic import TrafficLedger
from services.tools.loadtest.workload import Workload
from services.tools.monitor.docker_cpu import CpuSampler


@dataclass(frozen=True)
class Target:
    """The stack under load: its API and its compose project (for Docker's view of its containers)."""

    url: str
    project: str


def run_load_test(
    target: Target,
    workload: Workload,
    reports_dir: Path,
    timeout: float = 300,
    on_done: Callable[[JobOutcome], None] = lambda _: None,
    label: str = "loadtest",
    baseline: dict[str, Any] | None = None,
    watch: bool = True,
) -> dict[str, Any]:
    """Run the workload, sampling CPU all along; write JSON and PNG under reports_dir; return the report.

    `baseline` (one job in one process) is measured in a worker container unless given. `watch=False`
    leaves out the per-second CPU series (Docker's stats streams and the workers' self-reports), which
    cost the engine, the API and this process about 2 % of a 2-core host: make compare measures each
    cell with the cgroup counters alone, read at its start and end.
    """
    client = docker.from_env()
    try:
        stack = topology(client, target.project)
        if baseline is None:
            baseline = measure_baseline(client, target.project, workload.kernel, workload.size)
        sampler = CpuSampler(target.project, client=client).start() if watch else None
        watcher = SelfReportWatcher(target.url).start() if watch else None
        ledger = Ledger(client, target.project)
        # Read outside the CPU ledger's window: its redis-cli exec costs Redis and the engine a little.
        traffic = TrafficLedger(client, target.project)
        try:
            if sampler:
                sampler.wait_for_samples(1, timeout=5)
            traffic.open()
            ledger.open()
            start = time.time()
            outcomes, _ = run_all(target.url, workload, timeout, on_done)
            end = time.time()
            ledger.close()
            traffic.close()
            if sampler:
                # One more engine tick, so the last second of the run has its sample.
                time.sleep(1.2)
        finally:
            if watcher:
                watcher.stop()
            if sampler:
                sampler.stop()
        report = summarise(
            workload,
            outcomes,
            (start, end),
            workload.expected(),
            baseline,
            stack,
            sampler.series() if sampler else [],
            watcher.series() if watcher else {},
        )
        accounting = report["accounting"] = ledger.account(report["jobs_cpu_seconds"])
        report["traffic"] = traffic.account([o.view for o in outcomes if o.status == "finished"])
        if not watch:
            used = accounting["core_seconds"]
            report["cpu"]["worker_cores"] = (used["kernels"] + used["workers_other"]) / accounting[
                "wall_seconds"
            ]
    finally:
        client.close()
    reports_dir.mkdir(parents=True, exist_ok=True)
    stem = reports_dir / f"{label}-{time.strftime('%Y%m%d-%H%M%S')}-{workload.mode}"
    report["files"] = {"json": str(stem.with_suffix(".json")), "png": str(stem.with_suffix(".png"))}
    chart.load_test_chart(report, Path(report["files"]["png"]))
    Path(report["files"]["json"]).write_text(json.dumps(report, indent=2))
    return report

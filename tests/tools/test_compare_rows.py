"""make compare's rows: a load test's report as a round beside its ceiling, rounds as a median and range
(worked by hand here), and the report file read back as the same typed comparison."""

import io
import json

from rich.console import Console

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.render import render
from services.tools.loadtest.compare.summary import round_row, summarise_ceiling, summarise_cell
from services.tools.loadtest.topologies import Cell, Topology

THIN = Topology("thin", 2, 1, 1)
MiB = 1 << 20


def ceiling(jobs_per_second: float) -> rows.CeilingRound:
    return rows.CeilingRound(4, 2, 8, 4 / jobs_per_second, jobs_per_second, 7, [1] * 10, True, 0.9)


def report(jobs_per_second: float, periods: tuple[int, int], throttled: tuple[int, int]) -> dict:
    """A load test's report, as much of it as a round reads: two workers and the API's cgroup."""
    per_container = {
        f"w{i}": {"service": "worker", "periods": p, "throttled_periods": t, "throttled_seconds": 0.25}
        for i, (p, t) in enumerate(zip(periods, throttled, strict=True))
    }
    # Not a worker: its throttling is not the cell's.
    per_container["api"] = {
        "service": "api",
        "periods": 1000,
        "throttled_periods": 1000,
        "throttled_seconds": 9,
    }
    return {
        "submitted": 4,
        "exact": 4,
        "lost": 0,
        "jobs_per_second": jobs_per_second,
        "efficiency": 0.5,
        "latency_seconds": {"p50": 1.5, "p95": 2.0},
        "cpu": {"worker_cores": 1.75},
        "accounting": {"throttling": per_container, "share": {line: 0.125 for line in LINES}},
        "chunk_sizes": ["62500 (auto)"],
        "files": {"json": "reports/loadtest-thin.json"},
    }


def test_a_round_is_its_share_of_that_rounds_ceiling_and_its_workers_throttling_added_up() -> None:
    row = round_row(report(3.0, (10, 30), (1, 5)), ceiling(4.0), 0)
    assert row.of_ceiling == 0.75
    assert row.throttling == rows.Throttled(40, 6, 0.15, 0.5)


def test_rounds_become_a_median_and_range_with_every_round_kept() -> None:
    cell = Cell(THIN, "local")
    ceilings = [ceiling(4.0), ceiling(5.0), ceiling(6.0)]
    reports = [report(2.0, (10, 10), (0, 0)), report(4.0, (10, 10), (5, 5)), report(3.0, (10, 10), (1, 1))]
    pairs = enumerate(zip(reports, ceilings, strict=True))
    summary = summarise_cell(cell, [round_row(r, c, i) for i, (r, c) in pairs])
    assert (summary.jobs, summary.exact, summary.lost) == (12, 12, 0) and summary.all_exact
    # 2/4, 4/5, 3/6 of the ceiling: 0.5, 0.8, 0.5.
    assert summary.of_ceiling == {"median": 0.5, "min": 0.5, "max": 0.8, "n": 3}
    assert summary.jobs_per_second == {"median": 3.0, "min": 2.0, "max": 4.0, "n": 3}
    assert summary.throttled_share == {"median": 0.1, "min": 0.0, "max": 0.5, "n": 3}
    assert [r.round for r in summary.rounds] == [0, 1, 2]
    assert summarise_ceiling(ceilings).jobs_per_second == {"median": 5.0, "min": 4.0, "max": 6.0, "n": 3}


def test_the_report_file_reads_back_as_the_same_comparison_and_renders() -> None:
    cell = Cell(THIN, "distributed", "peer: stock RQ")
    ceilings = [ceiling(4.0)]
    summary = summarise_cell(cell, [round_row(report(3.0, (10, 30), (1, 5)), ceilings[0], 0)])
    comparison = rows.Comparison(
        "t",
        2,
        rows.WorkloadShape("primes", 1000, 4, 2),
        summarise_ceiling(ceilings),
        rows.Baselines([rows.Baseline("worker image, 1 CPU", 0.5, 2000.0)]),
        [summary],
    )
    text = json.dumps(comparison.as_json())
    assert rows.load(json.loads(text)) == comparison
    console = Console(record=True, width=250, file=io.StringIO(), color_system=None)
    render(comparison, console)
    (line,) = [line for line in console.export_text().splitlines() if "peer: stock RQ" in line]
    assert [cell.strip() for cell in line.split("│")[1:-1]] == [
        "thin",
        "2 x 1 CPU, pool 1",
        "distributed",
        "4/4",
        "3.00",
        "75",
        "50",
        "1.50",
        "1.75",
        "15.0",
        "0.50",
        "peer: stock RQ",
    ]


def with_traffic(base: dict, workers_in: int, redis_out: int, pickled: int) -> dict:
    """A report whose run moved these bytes (totals over its 4 finished jobs)."""
    return {
        **base,
        "finished": 4,
        "traffic": {
            "services": {
                "worker": {"rx_bytes": workers_in, "tx_bytes": 400},
                "api": {"rx_bytes": 40, "tx_bytes": 80},
            },
            "redis": {"in_bytes": 800, "out_bytes": redis_out},
            "jobs": {"bytes_read": 4 * MiB, "bytes_pickled": pickled},
        },
    }


def test_bytes_moved_per_job_over_the_rounds_read_back_and_shown() -> None:
    cell = Cell(THIN, "distributed")
    rounds = [
        round_row(
            with_traffic(report(3.0, (10, 10), (0, 0)), 4 * MiB + 400, 4 * MiB + 800, 0), ceiling(4.0), 0
        ),
        round_row(with_traffic(report(3.0, (10, 10), (0, 0)), 8 * MiB, 8 * MiB, 0), ceiling(4.0), 1),
        round_row(report(3.0, (10, 10), (0, 0)), ceiling(4.0), 2),  # an older report: no bytes counted
    ]
    assert rounds[0].traffic == {
        "workers_in": MiB + 100,
        "workers_out": 100,
        "api_in": 10,
        "api_out": 20,
        "redis_in": 200,
        "redis_out": MiB + 200,
        "bytes_read": MiB,
        "bytes_pickled": 0,
    }
    assert rounds[2].traffic is None
    summary = summarise_cell(cell, rounds)
    assert summary.traffic["redis_out"] == {
        "median": 1.5 * MiB + 100,
        "min": MiB + 200,
        "max": 2 * MiB,
        "n": 2,
    }
    assert summary.traffic["bytes_pickled"] == {"median": 0, "min": 0, "max": 0, "n": 2}
    comparison = rows.Comparison(
        "t",
        2,
        rows.WorkloadShape("bytes", 1000, 4, 2),
        summarise_ceiling([ceiling(4.0)]),
        rows.Baselines([rows.Baseline("worker image, 1 CPU", 0.5, 2000.0)]),
        [summary],
    )
    assert rows.load(json.loads(json.dumps(comparison.as_json()))) == comparison
    console = Console(record=True, width=250, file=io.StringIO(), color_system=None)
    render(comparison, console)
    text = console.export_text()
    (line,) = [line for line in text.split("Bytes moved per job")[1].splitlines() if "distributed" in line]
    assert [cell.strip() for cell in line.split("│")[1:-1]] == [
        "thin",
        "distributed",
        "1.5 MiB",
        "100 B",
        "10 B",
        "20 B",
        "200 B",
        "1.5 MiB",
        "1.0 MiB",
        "0 B",
    ]

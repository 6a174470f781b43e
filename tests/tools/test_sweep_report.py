"""A sweep's report, as make sweep writes it, becomes the tables, the sentences, the chart, and the
README's and RESULTS.md's sweep section (make results), every line at every point."""

import json
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare import traffic
from services.tools.loadtest.compare.rows import Baselines, CeilingSummary, CellSummary, RuntimeSummary
from services.tools.loadtest.spread import Spread
from services.tools.results.page import build as build_results
from services.tools.results.readme import BEGIN, END
from services.tools.sweep.chart import sweep_chart
from services.tools.sweep.render import render, sentences
from services.tools.sweep.rows import SweepLine, SweepPoint, SweepResult, load

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MiB = 1 << 20
# Share of the ceiling per line at 1 ms, 10 ms, 100 ms tasks (measured: 1.1, 11, 105 ms).
SHARES = {
    "local": (0.93, 0.96, 0.98),
    "distributed": (0.55, 0.91, 0.96),
    "hybrid": (0.45, 0.52, 0.88),
    "peer": (0.2, 0.7, 0.93),
}

NONE = {name: None for name in LINES}
PER_TASK = {
    "workers_other": {"median": 0.0005, "min": 0.0004, "max": 0.0006, "n": 2},
    "redis": {"median": 0.00025, "min": 0.0002, "max": 0.0003, "n": 2},
    "api": {"median": 0.00005, "min": 0.00004, "max": 0.00006, "n": 2},
}


def spread(median: float) -> Spread:
    return {"median": median, "min": median - 0.02, "max": median + 0.01, "n": 2}


def cell(key: str, share: float) -> CellSummary:
    return CellSummary(
        key=key,
        topology="thin",
        pinned=[],
        layout="2 x 1 CPU, pool 1",
        mode=key,
        note="",
        worker_class="lean",
        consumers=1,
        jobs=16,
        exact=16,
        lost=0,
        jobs_per_second=spread(3 * share),
        of_ceiling=spread(share),
        efficiency=None,
        latency_p50=None,
        worker_cores=None,
        throttled_share=None,
        throttled_seconds=None,
        accounting={name: spread(0.1) for name in LINES},
        rounds=[],
    )


def sweep_result(title: str = "8 primes jobs per point, CPU budget 2, 2 rounds") -> SweepResult:
    lines = [SweepLine(key, f"{key}, 2 CPU", key, "2 x 1 CPU, pool 1", "lean") for key in SHARES]
    ceiling = CeilingSummary(
        rounds=2, exact_rounds=2, jobs_per_second=spread(3.0), efficiency=None, every_round=[]
    )
    points = [
        SweepPoint(
            seconds=target,
            size=1_000_000,
            chunk_size=round(1000 * target),
            jobs=8,
            tasks_per_job=round(1 / target),
            task_seconds=spread(measured),
            ceiling=ceiling,
            baseline=Baselines([]),
            cells={key: cell(key, shares[index]) for key, shares in SHARES.items()},
            # Each task: its kernel's time, and 0.5 ms besides in the workers, 0.25 in Redis, 0.05 in the API.
            per_task={
                # The ceiling: its Pool's processes as the kernel, its parent's 0.4 ms a task besides.
                "ceiling": {**NONE, "kernels": spread(measured), "workers_other": spread(0.0004)},
                **{key: {**NONE, **PER_TASK, "kernels": spread(measured)} for key in SHARES},
            },
        )
        for index, (target, measured) in enumerate(((0.001, 0.0011), (0.01, 0.011), (0.1, 0.105)))
    ]
    return SweepResult(title, 2, "primes", 2, 8, 0.9, 2, lines, points)


def test_a_sentence_per_line_from_its_measured_points() -> None:
    assert sentences(sweep_result()) == [
        "local, 2 CPU: reaches 90 % of the ceiling at every task size swept, down to 1.1 ms.",
        "distributed, 2 CPU: reaches 90 % of the ceiling with tasks of 11 ms and longer (at 1.1 ms: 55 %).",
        "hybrid, 2 CPU: never reaches 90 % of the ceiling in the swept range (best: 88 % at 105 ms tasks).",
        "peer, 2 CPU: reaches 90 % of the ceiling with tasks of 105 ms and longer (at 11 ms: 70 %).",
    ]


def test_the_table_has_every_line_at_every_point_and_the_cores_accounting(tmp_path: Path) -> None:
    console = Console(record=True, width=200, color_system=None)
    render(sweep_result(), console)
    text = console.export_text()
    rows = [row for row in text.splitlines() if row.lstrip("│ ").startswith(("1.1 ms", "11 ms", "105 ms"))]
    # The sweep table's three rows: every line's median (range), all 5 x 8 x 2 jobs exact; then the
    # accounting's, the CPU per task's and the bytes' first row of each point.
    assert "93 (91–94)" in rows[0] and "55 (53–56)" in rows[0] and "80/80" in rows[0], rows[0]
    assert len(rows) == 12 and "rest of host" in text and "idle" in text
    # A report with no speed reading (older ones) says its shares are as measured, in one table.
    assert "as measured" in text and "machine speed" not in text
    # CPU per task at 1.1 ms: the ceiling's parent 0.40 ms besides the kernel's 1.10; local's 0.80 ms of
    # apparatus besides it, 73 % of the kernel.
    per_task = text[text.index("CPU per task") :].splitlines()
    ceiling, local = [[c.strip() for c in row.split("│")[1:-1]] for row in per_task if "1.10 " in row][:2]
    assert ceiling == ["1.1 ms", "ceiling", "1.10", "0.40", "0.00", "0.00", "0.00", "0.00", "0.40", "36 %"]
    assert local == ["", "local", "1.10", "0.50", "0.25", "0.05", "0.00", "0.00", "0.80", "73 %"], local
    assert sweep_chart(sweep_result(), tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC


def test_make_results_carries_the_chart_and_the_sentences_into_the_readme(tmp_path: Path) -> None:
    reports, docs = tmp_path / "reports", tmp_path / "docs"
    reports.mkdir(), docs.mkdir()
    (reports / "sweep-20260101-000000.json").write_text(json.dumps(sweep_result("older").as_json()))
    (reports / "sweep-20260102-000000.json").write_text(json.dumps(sweep_result().as_json()))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\nrest\n")
    assert build_results(reports, docs, readme) == ["sweep-20260102-000000.json"]
    block = readme.read_text()
    assert "older" not in block and "![% of the ceiling" in block and "(docs/sweep.png)" in block
    assert [line for line in block.splitlines() if line.startswith("- ")] == [
        f"- {s}" for s in sentences(sweep_result())
    ]
    page = (docs / "RESULTS.md").read_text()
    assert "`make sweep`" in page and "(sweep.png)" in page and sentences(sweep_result())[1] in page
    assert (docs / "sweep.png").read_bytes()[:8] == PNG_MAGIC


def test_a_report_reads_back_as_it_was_written() -> None:
    written = sweep_result()
    assert load(json.loads(json.dumps(written.as_json()))) == written
    assert written.all_exact
    assert [task for task, _ in written.shares("peer")] == [0.0011, 0.011, 0.105]


def test_bytes_per_job_by_line_and_point() -> None:
    """A line's cell with bytes counted shows them; one from an older report shows dashes."""
    result = sweep_result()
    first = result.points[0]
    moved = {name: spread(0) for name in traffic.FIELDS} | {
        "redis_out": spread(3 * MiB),
        "bytes_read": spread(MiB),
    }
    cells = {**first.cells, "distributed": replace(first.cells["distributed"], traffic=moved)}
    result = replace(result, points=[replace(first, cells=cells), *result.points[1:]])
    assert load(json.loads(json.dumps(result.as_json()))) == result
    console = Console(record=True, width=200, color_system=None)
    render(result, console)
    table = console.export_text().split("Bytes moved per job")[1].splitlines()
    found = [cells for row in table if len(cells := [c.strip() for c in row.split("│")[1:-1]]) > 2]
    rows = {cells[1]: cells for cells in reversed(found)}  # each line's first point: 1.1 ms
    assert rows["distributed"] == ["", "distributed", *["0 B"] * 5, "3.0 MiB", "1.0 MiB", "0 B"]
    assert rows["local"] == ["1.1 ms", "local", *["-"] * 8]


def with_threads(result: SweepResult) -> SweepResult:
    """The sweep with a line in one container: threads at half the ceiling, 2 of its 16 jobs' rounds wrong
    at the longest tasks."""
    line = SweepLine("threads", "threads (GIL) (ThreadPoolExecutor(2))", "-", "ThreadPoolExecutor(2)", "-")
    points = []
    for index, point in enumerate(result.points):
        threads = RuntimeSummary(
            key="threads",
            label="threads (GIL)",
            layout="ThreadPoolExecutor(2), --cpus 2",
            note="counter-example",
            jobs=16,
            exact=8 if index == 2 else 16,
            jobs_per_second=spread(1.5),
            of_ceiling=spread(0.5),
            efficiency=None,
            cores=spread(1.0),
            rounds=[],
        )
        per_task = {**point.per_task, "threads": {**NONE, "kernels": spread(2 * point.task)}}
        points.append(replace(point, runtimes={"threads": threads}, per_task=per_task))
    return replace(result, lines=[*result.lines, line], points=points)


def test_a_line_in_one_container_is_a_column_a_sentence_and_its_cpu_per_task(tmp_path: Path) -> None:
    result = with_threads(sweep_result())
    assert load(json.loads(json.dumps(result.as_json()))) == result
    assert not result.all_exact and [task for task, _ in result.shares("threads")] == [0.0011, 0.011, 0.105]
    assert sentences(result)[-1] == (
        "threads (GIL) (ThreadPoolExecutor(2)): never reaches 90 % of the ceiling in the swept range "
        "(best: 50 % at 1.1 ms tasks)."
    )
    console = Console(record=True, width=220, color_system=None)
    render(result, console)
    text = console.export_text()
    first = next(row for row in text.splitlines() if row.lstrip("│ ").startswith("1.1 ms"))
    # Its share in a column of its own; its 16 jobs counted with the others' (80 + 16).
    assert [c.strip() for c in first.split("│")[1:-1]][-2:] == ["50 (48–51)", "96/96"], first
    last = next(row for row in text.splitlines() if row.lstrip("│ ").startswith("105 ms"))
    assert "88/96" in last, last
    # Its CPU per task beside the others'; no line in the stack's accounting (it runs beside the stack).
    assert any(
        row.split("│")[2].strip() == "threads"
        for row in text[text.index("CPU per task") :].splitlines()
        if row.count("│") > 3
    )
    where = text[text.index("Where the host's cores went") : text.index("CPU per task")]
    assert "threads" not in where
    assert sweep_chart(result, tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC
    # A report from before these lines: points read back without them.
    older = sweep_result().as_json()
    for point in older["points"]:
        del point["runtimes"]
    assert load(older) == sweep_result()

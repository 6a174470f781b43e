"""make sweep AXIS=data: its plan (work values, tasks of one duration, jobs per point), its records read
along bytes per task, the sentence per line on where moving bytes makes it lose, its table and chart;
and its ceiling, a bare Pool over a seeded dataset staged in shared memory, exact."""

import json
from pathlib import Path

import pytest
from rich.console import Console

from services.tools.loadtest.accounting import LINES
from services.tools.loadtest.compare.rows import Baselines, CeilingSummary, CellSummary
from services.tools.loadtest.workload import Workload
from services.tools.results.page import build as build_results
from services.tools.results.readme import BEGIN, END
from services.tools.sweep.__main__ import parse_args
from services.tools.sweep.chart import sweep_chart
from services.tools.sweep.data_knee import DataPoint, data_knee
from services.tools.sweep.data_points import (
    bytes_per_cpu_ms,
    even_chunk,
    plan_data_axis,
    plan_data_point,
    works,
)
from services.tools.sweep.render import render, sentences
from services.tools.sweep.rows import SweepLine, SweepPoint, SweepResult, load
from shared.jobs import parse_job
from shared.kernels.dataset import tally
from shared.plan import plan_job
from shared.seeded_bytes import seeded_bytes, seeded_sha256
from shared.settings import Settings
from tests.worker.ceiling_cli import ceiling

MiB = 1 << 20
KiB = 1 << 10
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_works_are_log_spaced_from_the_heaviest_down_to_1_then_0() -> None:
    assert works(5, 64) == [64, 16, 4, 1, 0]  # 64^(1, 2/3, 1/3, 0)
    assert works(5, 16) == [16, 6, 3, 1, 0]  # 16^(2/3) = 6.35, 16^(1/3) = 2.52
    assert works(2, 16) == [16, 0]
    with pytest.raises(ValueError, match="distinct"):
        works(6, 4)  # 4, 2.83, 2, 1.41, 1: four distinct integers for five places
    with pytest.raises(ValueError):
        works(1, 16)


def test_each_point_is_tasks_of_one_duration_over_the_whole_dataset() -> None:
    settings = Settings()
    # work 16: a block of 4096 bytes is 4096 x (1.5e-7 + 16 x 5e-8) s = 3.8912 ms: 20 ms is 5 blocks,
    # which the hybrid plan would cut into 2 pool tasks (19.5 ms over 8 ms each), 3 + 2. 4 blocks would
    # be 1 task (15.6 ms); 6 are 2 of 3 (23.3 ms). 8 MiB is 2048 blocks, 342 tasks of 6; a job 7.97 s,
    # so 8 s of work is one job: at least 4.
    heavy = plan_data_point(0.02, 16, 8 * MiB, 8.0, 4, settings)
    assert (heavy.chunk_size, heavy.tasks_per_job, heavy.jobs, heavy.size) == (6, 342, 4, 8 * MiB)
    # work 0: 4096 x 1.5e-8 s = 61.44 us a block: 20 ms is 326 blocks (325.5), 7 tasks; a job 0.126 s,
    # so 8 s of work is 64 jobs.
    light = plan_data_point(0.02, 0, 8 * MiB, 8.0, 4, settings)
    assert (light.chunk_size, light.tasks_per_job, light.jobs) == (326, 7, 64)
    assert bytes_per_cpu_ms(16, settings) == pytest.approx(1052.63, abs=0.01)  # 4096 / 3.8912
    assert bytes_per_cpu_ms(0, settings) == pytest.approx(66666.67, abs=0.01)
    # The API plans the same tasks for a job of that chunk_size, in every mode.
    for point in (heavy, light):
        for mode in ("local", "distributed", "hybrid"):
            params = {"dataset": "a" * 32, "work": point.work}
            job = parse_job(
                {"kernel": "bytes", "params": params, "mode": mode, "chunk_size": point.chunk_size}
            )
            job.bind(8 * MiB)
            plan = plan_job(job)
            assert plan.chunks_total == point.tasks_per_job, (point, mode)
            if mode == "hybrid":  # an entry of the point cut into equal pool tasks
                assert point.chunk_size % plan.task_size == 0, (point, plan)
    assert even_chunk(5, 16, settings) == 6 and even_chunk(24, 1, settings) == 24
    points = plan_data_axis(0.02, 5, 16, 8 * MiB, 8.0, 4, settings)
    assert [p.work for p in points] == [16, 6, 3, 1, 0] and {p.seconds for p in points} == {0.02}


def test_a_point_the_api_would_refuse_is_refused_here() -> None:
    with pytest.raises(ValueError, match="MAX_CHUNKS"):
        plan_data_point(0.004, 16, 8 * MiB, 8.0, 4, Settings(max_chunks=1000))  # 2048 tasks of 1 block


def test_make_sweep_axis_data_plans_a_primes_point_beside_the_bytes_points() -> None:
    _, sweep, _ = parse_args(["--axis", "data", "--budget", "2", "--points", "3", "--heaviest", "4"])
    assert [p.work for p in sweep.points] == [None, 4, 1, 0]
    assert {p.seconds for p in sweep.points} == {0.02} and sweep.dataset is not None
    assert sweep.dataset.size == 8 * MiB and sweep.dataset.id is None  # uploaded when the stack is up
    _, plain, _ = parse_args(["--axis", "data", "--points", "2", "--no-primes", "--dataset-mib", "0.5"])
    assert [p.work for p in plain.points] == [16, 0] and plain.dataset == type(plain.dataset)(1, MiB // 2)
    _, task, _ = parse_args(["--points", "2"])
    assert task.dataset is None and all(p.work is None for p in task.points)


# Shares of the ceiling per line, CPU-heavy to I/O-heavy, and on primes tasks of the same size.
SHARES = {
    "local": (0.95, 0.94, 0.93, 0.92),
    "distributed": (0.93, 0.91, 0.89, 0.70),
    "hybrid": (0.88, 0.80, 0.87, 0.60),
}
PRIMES = {"local": 0.96, "distributed": 0.90, "hybrid": 0.90}
WORKS = (16, 6, 1, 0)
CHUNKS = (5, 11, 24, 326)  # blocks per task; 8 MiB is 2048 blocks
TASK = 0.02


def spread(median: float) -> dict:
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
        jobs=8,
        exact=8,
        lost=0,
        jobs_per_second=spread(share),
        of_ceiling=spread(share),
        efficiency=None,
        latency_p50=None,
        worker_cores=None,
        throttled_share=None,
        throttled_seconds=None,
        accounting={name: spread(0.1) for name in LINES},
        rounds=[],
    )


def point(work: int | None, chunk: int, shares: dict[str, float]) -> SweepPoint:
    ceiling = CeilingSummary(2, 2, spread(1.0), None, [])
    return SweepPoint(
        seconds=TASK,
        size=8 * MiB if work is not None else 1_000_000,
        chunk_size=chunk,
        jobs=4,
        tasks_per_job=-(-2048 // chunk) if work is not None else 100,
        task_seconds=spread(TASK),
        ceiling=ceiling,
        baseline=Baselines([]),
        cells={key: cell(key, share) for key, share in shares.items()},
        # Each task: its kernel's 20 ms, and 0.5 ms besides in the workers.
        per_task={
            key: {**{name: None for name in LINES}, "kernels": spread(TASK), "workers_other": spread(0.0005)}
            for key in ("ceiling", *shares)
        },
        work=work,
    )


def data_result() -> SweepResult:
    lines = [SweepLine(key, f"{key}, 2 CPU", key, "2 x 1 CPU, pool 1", "lean") for key in SHARES]
    points = [point(None, 10_000, PRIMES)] + [
        point(work, chunk, {key: shares[i] for key, shares in SHARES.items()})
        for i, (work, chunk) in enumerate(zip(WORKS, CHUNKS, strict=True))
    ]
    return SweepResult(
        "bytes jobs",
        2,
        "primes",
        2,
        4,
        0.9,
        2,
        lines,
        points,
        axis="data",
        dataset_bytes=8 * MiB,
        dataset_seed=1,
    )


def test_the_data_axis_reads_each_line_along_bytes_per_task_without_the_primes_point() -> None:
    result = data_result()
    assert load(json.loads(json.dumps(result.as_json()))) == result and result.all_exact
    assert result.reference is result.points[0]
    # 8 MiB over 410, 187, 86 and 7 tasks.
    per_task = [8 * MiB / 410, 8 * MiB / 187, 8 * MiB / 86, 8 * MiB / 7]
    assert [x for x, _ in result.shares("distributed")] == pytest.approx(per_task)
    assert [s["median"] for _, s in result.shares("distributed")] == [0.93, 0.91, 0.89, 0.70]
    # Per CPU-millisecond as run: the task's 20 ms of kernel CPU.
    assert result.points[1].bytes_per_cpu_ms == pytest.approx(8 * MiB / 410 / 20)


def test_a_sentence_per_line_says_where_moving_bytes_makes_it_lose() -> None:
    assert sentences(data_result()) == [
        # Within 5 points of 95 % all the way.
        "local, 2 CPU: 95 % of the ceiling at the CPU-heavy end (20.0 KiB per task, 1023 B per CPU-ms), "
        "-1 points from its 96 % on primes tasks of the same size; moving bytes never costs it more than "
        "5 points: still 92 % at 1.1 MiB per task, 58.5 KiB per CPU-ms.",
        # 93 - 5 = 88: 89 % holds, 70 % does not.
        "distributed, 2 CPU: 93 % of the ceiling at the CPU-heavy end (20.0 KiB per task, 1023 B per "
        "CPU-ms), +3 points from its 90 % on primes tasks of the same size; within 5 points of that up to "
        "95.3 KiB per task, 4.8 KiB per CPU-ms, and moving bytes makes it lose from 1.1 MiB per task, "
        "58.5 KiB per CPU-ms: 70 %, 23 points down.",
        # It dips at the second point and recovers: it lost there, not at the last.
        "hybrid, 2 CPU: 88 % of the ceiling at the CPU-heavy end (20.0 KiB per task, 1023 B per CPU-ms), "
        "-2 points from its 90 % on primes tasks of the same size; within 5 points of that up to 20.0 KiB "
        "per task, 1023 B per CPU-ms, and moving bytes makes it lose from 43.8 KiB per task, 2.2 KiB per "
        "CPU-ms: 80 %, 8 points down.",
    ]


def test_the_knee_without_a_primes_point_and_in_any_order() -> None:
    points = [DataPoint(1000, 100, 0.5), DataPoint(10, 1, 0.9), DataPoint(100, 10, 0.86)]
    knee = data_knee("x", points)
    assert (knee.heavy, knee.holds, knee.fell, knee.primes) == (points[1], points[2], points[0], None)
    assert knee.sentence().startswith("x: 90 % of the ceiling at the CPU-heavy end (10 B per task, 1 B per")
    with pytest.raises(ValueError):
        data_knee("x", [])
    # Less than half a point below its primes share: "+0 points", not "-0".
    level = data_knee("x", points, primes=0.903)
    assert ", +0 points from its 90 % on primes tasks" in level.sentence(), level.sentence()


def test_the_table_has_the_primes_point_then_every_point_with_its_bytes(tmp_path: Path) -> None:
    console = Console(record=True, width=220, color_system=None)
    render(data_result(), console)
    text = console.export_text()
    rows = [[c.strip() for c in r.split("│")[1:-1]] for r in text.splitlines() if r.startswith("│ bytes")]
    primes = next(r for r in text.splitlines() if r.startswith("│ primes"))
    assert "96 (94–97)" in primes and "- " in primes
    assert [r[1] for r in rows] == ["16", "6", "1", "0"]
    assert rows[0][2:7] == ["20.0 KiB", "1023 B", "20 ms", "410", "4"], rows[0]
    assert rows[3][-4:] == ["92 (90–93)", "70 (68–71)", "60 (58–61)", "32/32"], rows[3]  # 3 x 8 + 2 x 4
    assert "Bytes moved per job" in text and "work 0, 1.1 MiB/task" in text and "primes, 20 ms" in text
    # CPU per task at each point: the kernel's 20 ms, the workers' 0.5 ms besides it.
    per_task = text[text.index("CPU per task") : text.index("Bytes moved per job")].splitlines()
    local = [[c.strip() for c in r.split("│")[1:-1]] for r in per_task if "│ local" in r]
    assert len(local) == 5 and local[0][2:4] == ["20.00", "0.50"], local
    assert sweep_chart(data_result(), tmp_path / "d.png").read_bytes()[:8] == PNG_MAGIC


def test_the_ceiling_runs_a_bare_pool_over_the_seeded_dataset_in_shared_memory() -> None:
    size = 50_000  # 13 blocks, the last one short
    result = ceiling("bytes", size, 3, 2, "--task-size", 3, "--work", 2, "--seed", 5)
    exact = tally(seeded_bytes(5, size), 2)
    assert result["task_size"] == 3 and result["chunks_per_job"] == 5  # ceil(13 / 3)
    assert result["all_equal"] and (result["count"], result["histogram"]) == (size, exact.histogram)
    assert result["sha256"] == seeded_sha256(5, size)
    # The load test's workload expects that answer of every job, and names the same data to the ceiling.
    workload = Workload("bytes", size, 3, 3, "distributed", 3, dataset="b" * 32, work=2, seed=5)
    assert workload.expected() == exact and workload.data_sha256() == result["sha256"]
    assert workload.reference_args() == ["bytes", "50000", "--work", "2", "--seed", "5"]
    assert workload.body() == {
        "kernel": "bytes",
        "params": {"dataset": "b" * 32, "work": 2},
        "mode": "distributed",
        "chunk_size": 3,
    }


def test_seeded_bytes_are_the_same_wherever_made() -> None:
    # Fixed by the seed alone (SHAKE-256): the worker image and the host make these exact bytes.
    assert seeded_bytes(1, 8).hex() == "48eb0c7cb143d84f"
    assert seeded_bytes(1, 4096)[:8] == seeded_bytes(1, 8) and seeded_bytes(2, 8) != seeded_bytes(1, 8)
    assert seeded_sha256(1, 4096) == "e3f5576fcafeb17303fb2a7be1f0aa72b5495baef5575d1a1ba0ff13d76499ec"


def test_make_results_carries_the_data_axis_beside_the_sweep(tmp_path: Path) -> None:
    """The newest data-axis report gets its own section, chart and sentences; the sweep's are untouched."""
    reports, docs = tmp_path / "reports", tmp_path / "docs"
    reports.mkdir(), docs.mkdir()
    (reports / "data-axis-20260102-000000.json").write_text(json.dumps(data_result().as_json()))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold\n{END}\nrest\n")
    assert build_results(reports, docs, readme) == ["data-axis-20260102-000000.json"]
    block = readme.read_text()
    assert "(docs/data-axis.png)" in block and "(docs/sweep.png)" not in block and "old" not in block
    assert [line for line in block.splitlines() if line.startswith("- ")] == [
        f"- {s}" for s in sentences(data_result())
    ]
    page = (docs / "RESULTS.md").read_text()
    assert "`make sweep AXIS=data`" in page and "(data-axis.png)" in page and "work 0, 1.1 MiB/task" in page
    assert (docs / "data-axis.png").read_bytes()[:8] == PNG_MAGIC

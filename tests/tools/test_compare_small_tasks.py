"""make compare TASK=: every job cut into tasks the cost model puts at about that long, the same for each
row (the ceiling, our cells, the rows in one container, the queue peers' driver), named in the title; and
make results' table of every approach at the default workload and at that task size, from the newest
report of each."""

import json
from pathlib import Path

import pytest

from services.peers.chunks import job_chunks
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.__main__ import parse_args
from services.tools.loadtest.compare.peers import PEERS, driver_command
from services.tools.loadtest.compare.rounds import Plan
from services.tools.loadtest.compare.runtimes import RUNTIMES, runtime_round, summarise_runtime
from services.tools.loadtest.task_size import chunk_for
from services.tools.loadtest.topologies import by_name
from services.tools.results import parts
from services.tools.results.approaches import approaches_table, shares
from services.tools.results.page import build
from services.tools.results.readme import BEGIN, END, kept_parts
from shared.cost import estimate_seconds
from shared.jobs import job_params, parse_job
from shared.plan import plan_job
from shared.settings import Settings
from tests.tools.test_compare_runtimes import comparison, run

SETTINGS = Settings()


@pytest.mark.parametrize("seconds", [0.001, 0.02])
def test_a_job_is_cut_into_tasks_modelled_at_the_duration_asked_for(seconds: float) -> None:
    size = 1_000_000
    chunk = chunk_for("primes", size, seconds, SETTINGS)
    body = {"kernel": "primes", "params": job_params("primes", size), "mode": "distributed"}
    entries = plan_job(parse_job({**body, "chunk_size": chunk})).entries
    assert entries == job_chunks("primes", size, chunk)
    assert entries[0][0] == 0 and entries[-1][1] == size and all(hi - lo <= chunk for lo, hi in entries)
    modelled = estimate_seconds("primes", 0, size, SETTINGS) / len(entries)
    assert abs(modelled - seconds) / seconds < 0.01, (modelled, len(entries))
    # Without a chunk size, the peers take the planner's own chunks, as before.
    assert job_chunks("primes", size) == plan_job(parse_job(body)).entries != entries


def test_more_tasks_than_max_chunks_or_no_duration_is_refused() -> None:
    with pytest.raises(ValueError, match=r"MAX_CHUNKS \(10,000\); use a smaller --size"):
        chunk_for("primes", 10_000_000, 0.0001, SETTINGS)
    with pytest.raises(ValueError, match="more than 0 seconds"):
        chunk_for("primes", 1000, 0, SETTINGS)
    with pytest.raises(SystemExit) as exited:
        parse_args(["--size", "10000000", "--task", "0.0001"])
    assert exited.value.code == 2


def test_every_row_of_the_run_gets_the_same_tasks_and_the_title_says_so() -> None:
    args = parse_args(["--task", "0.001", "--jobs", "4", "--budget", "2"])
    assert args.chunk_size == chunk_for("primes", 1_000_000, 0.001)
    shape = rows.WorkloadShape("primes", 1_000_000, 4, 4, args.chunk_size, 0.001)
    plan = Plan(shape, 2, args.groups, 1, Path("reports"))
    assert {plan.workload(mode).chunk_size for mode in ("local", "distributed", "hybrid")} == {
        args.chunk_size
    }
    assert f"in tasks of ~1 ms ({args.chunk_size:,} units)" in plan.title
    (thin,) = by_name(2, ["thin"])
    command = driver_command(PEERS["celery"], thin, plan.workload("distributed"), ["w1", "w2"])
    assert command[-2:] == ["--chunk-size", str(args.chunk_size)] and "w1,w2" in command
    # The planner's own chunks: no --chunk-size, no task size in the title.
    default = Plan(rows.WorkloadShape("primes", 1_000_000, 4, 4), 2, args.groups, 1, Path("reports"))
    assert "--chunk-size" not in driver_command(PEERS["celery"], thin, default.workload("distributed"), ["w"])
    assert "tasks of" not in default.title and default.workload("local").chunk_size is None


def report(of_ceiling: float, task_seconds: float | None) -> dict:
    """A comparison report with one row in one container (threads at `of_ceiling`), as make compare writes
    it, at the planner's tasks or TASK='s."""
    ceiling = run(4.0, (1.0, 0.0))
    threads = summarise_runtime(
        RUNTIMES["threads"], 2, [runtime_round(run(4.0 * of_ceiling, (1.0, 0.0)), ceiling, 0)]
    )
    result = comparison([threads])
    chunk = None if task_seconds is None else 100
    shape = rows.WorkloadShape("primes", 1000, 2, 2, chunk, task_seconds)
    return {**result.as_json(), "workload": vars(shape)}


def test_the_table_reads_each_approach_on_fat_and_thin_at_both_task_sizes() -> None:
    cell = {"worker_class": "lean", "note": "", "pinned": []}
    default = {
        "title": "16 primes jobs",
        "cells": [
            {**cell, "topology": "fat", "mode": "local", "of_ceiling": {"median": 0.95}},
            {**cell, "topology": "thin", "mode": "local", "of_ceiling": {"median": 1.02}},
            {**cell, "topology": "fat", "mode": "distributed", "note": "counter-example: 1 consumer"}
            | {"of_ceiling": {"median": 0.5}},
            {**cell, "topology": "fat", "mode": "distributed", "of_ceiling": {"median": 0.99}},
            {**cell, "topology": "thin pinned", "mode": "local", "of_ceiling": {"median": 0.9}},
            {**cell, "topology": "thin", "mode": "distributed", "worker_class": "simple"}
            | {"note": "peer: stock RQ", "of_ceiling": {"median": 0.93}},
        ],
        "peers": [{"label": "Celery prefork", "topology": "thin", "of_ceiling": {"median": 0.8}}],
        "runtimes": [
            {"key": "threads", "label": "threads (GIL)", "of_ceiling": {"median": 0.52}},
            {"key": "interpreters", "label": "subinterpreters", "of_ceiling": {"median": 1.01}},
        ],
    }
    small = {
        **default,
        "title": "16 primes jobs in tasks of ~1 ms",
        "workload": {"task_seconds": 0.001},
        "cells": [{**cell, "topology": "thin", "mode": "local", "of_ceiling": {"median": 0.84}}],
        "peers": [],
    }
    assert shares(default) == {
        "local": {"fat": 0.95, "thin": 1.02},
        "distributed": {"fat": 0.99},
        "stock RQ (SimpleWorker)": {"thin": 0.93},
        "Celery prefork": {"thin": 0.8},
        "threads (GIL)": {"fat": 0.52},
        "subinterpreters": {"fat": 1.01},
    }
    lines = approaches_table(default, small)
    assert "`make compare TASK=0.001` (16 primes jobs in tasks of ~1 ms)" in lines[0]
    assert "(subinterpreters: of a bare Pool in its own Python's image, same round)" in lines[0]
    assert lines[2] == (
        "| approach | fat, default tasks | fat, ~1 ms tasks | thin, default tasks | thin, ~1 ms tasks |"
    )
    assert lines[4:10] == [
        "| local | 95 | - | 102 | 84 |",
        "| distributed | 99 | - | - | - |",
        "| stock RQ (SimpleWorker) | - | - | 93 | - |",
        "| Celery prefork | - | - | 80 | - |",
        "| threads (GIL) | 52 | 52 | - | - |",
        "| subinterpreters | 101 | 101 | - | - |",
    ]


def test_make_results_takes_the_newest_report_of_each_task_size(tmp_path: Path) -> None:
    reports, docs = tmp_path / "reports", tmp_path / "docs"
    reports.mkdir()
    docs.mkdir()
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{BEGIN}\nold\n{END}\nbottom\n")
    for stamp, share, task in [("1", 0.5, None), ("2", 0.4, 0.001), ("3", 0.55, None), ("4", 0.3, 0.001)]:
        (reports / f"comparison-20261207-00000{stamp}.json").write_text(json.dumps(report(share, task)))
    written = build(reports, docs, readme)
    assert written == ["comparison-20261207-000003.json", "comparison-20261207-000004.json"]
    block = readme.read_text()
    assert "| threads (GIL) | 55 | 30 | - | - |" in block and block.startswith("top\n")
    page = (docs / "RESULTS.md").read_text()
    assert "## `make compare TASK=0.001`: every cell at small tasks" in page
    assert (docs / "compare-small-tasks.png").read_bytes()[:4] == b"\x89PNG"
    # With no report at small tasks, the table and the section stay as their last run wrote them.
    table, section = kept_parts(block)["approaches"], parts.split(page)["compare-small"]
    (reports / "comparison-20261207-000004.json").unlink()
    (reports / "comparison-20261207-000002.json").unlink()
    assert build(reports, docs, readme) == ["comparison-20261207-000003.json"]
    assert kept_parts(readme.read_text())["approaches"] == table
    assert parts.split((docs / "RESULTS.md").read_text())["compare-small"] == section

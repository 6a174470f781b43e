"""make sweep's plan and its reading: task sizes from the cost model, log-spaced, and each line's knee
read as the smallest task from which it holds 90 % of the ceiling."""

import math
import shlex
import subprocess
from pathlib import Path

import pytest

from services.tools.loadtest.compare.runtimes import RUNTIMES
from services.tools.sweep.__main__ import parse_args
from services.tools.sweep.crossover import crossover
from services.tools.sweep.lines import KEYS, groups, in_one_record, lines
from services.tools.sweep.points import duration, durations, plan_point, plan_sweep
from services.tools.sweep.rows import SweepLine
from shared.cost import estimate_seconds
from shared.jobs import parse_job
from shared.plan import plan_job
from shared.settings import Settings
from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[2]


def test_durations_are_log_spaced_from_end_to_end() -> None:
    found = durations(0.001, 1.0, 7)
    assert len(found) == 7 and found[0] == 0.001 and math.isclose(found[-1], 1.0)
    ratios = [b / a for a, b in zip(found, found[1:], strict=False)]
    assert all(math.isclose(r, 10**0.5) for r in ratios), ratios
    with pytest.raises(ValueError):
        durations(0.001, 1.0, 1)


@pytest.mark.parametrize("kernel", ["primes", "pi"])
def test_each_point_cuts_the_same_work_into_tasks_the_cost_model_puts_at_its_duration(kernel: str) -> None:
    settings = Settings()
    points = plan_sweep(kernel, 0.001, 1.0, 7, jobs=8, work_seconds=8.0, settings=settings)
    assert [p.tasks_per_job for p in points] == [1000, 316, 100, 32, 10, 3, 1]
    for point in points:
        work = estimate_seconds(kernel, 0, point.size, settings)
        # One job: a second of one process's work (8 s over 8 jobs), to within one task.
        assert abs(work - 1.0) <= point.seconds, (point, work)
        # The average task is modelled at the point's duration, to within a unit's rounding.
        assert math.isclose(work / point.tasks_per_job, point.seconds, rel_tol=0.02), (point, work)


def test_a_point_of_long_tasks_gets_more_work_rather_than_fewer_tasks_than_asked() -> None:
    settings = Settings()
    points = plan_sweep("primes", 0.001, 1.0, 7, jobs=8, work_seconds=8.0, settings=settings, min_tasks=24)
    # 8 s of work in 8 jobs is 8 tasks of 1 s, 24 of 316 ms: the longest point gets 3 tasks a job instead.
    assert [p.tasks_per_job for p in points] == [1000, 316, 100, 32, 10, 3, 3]
    work = estimate_seconds("primes", 0, points[-1].size, settings)
    assert math.isclose(work / 3, 1.0, rel_tol=0.02) and points[-1].jobs == 8


def test_a_point_is_what_the_api_plans_for_its_chunk_size() -> None:
    point = plan_point("primes", 0.01, jobs=4, work_seconds=2.0)
    for mode in ("local", "distributed"):
        request = {"kernel": "primes", "params": {"start": 0, "stop": point.size}, "mode": mode}
        plan = plan_job(parse_job({**request, "chunk_size": point.chunk_size}))
        assert plan.chunk_size == point.chunk_size and plan.chunks_total == point.tasks_per_job == 50


def test_a_point_the_api_would_refuse_is_refused_here() -> None:
    with pytest.raises(ValueError, match="MAX_CHUNKS"):
        plan_point("primes", 0.0001, jobs=1, work_seconds=2.0, settings=Settings(max_chunks=100))
    with pytest.raises(ValueError, match="more than one job may hold"):
        plan_point("primes", 1.0, jobs=1, work_seconds=60.0, settings=Settings(max_primes_span=1000))


def test_durations_read_as_an_engineer_writes_them() -> None:
    assert [duration(s) for s in (0.001, 0.00316, 0.0215, 0.316, 1.0, 12.0)] == [
        "1 ms",
        "3.2 ms",
        "22 ms",
        "316 ms",
        "1 s",
        "12 s",
    ]


def test_the_knee_is_the_smallest_task_from_which_every_longer_one_holds_90_percent() -> None:
    dip = crossover("distributed", [(1.0, 0.97), (0.001, 0.3), (0.01, 0.93), (0.003, 0.91), (0.1, 0.88)])
    assert dip.seconds == 1.0 and dip.below == (0.1, 0.88)
    assert (
        dip.sentence()
        == "distributed: reaches 90 % of the ceiling with tasks of 1 s and longer (at 100 ms: 88 %)."
    )
    knee = crossover("local", [(0.001, 0.5), (0.003, 0.9), (0.01, 0.95), (0.1, 0.97)])
    assert (knee.seconds, knee.below) == (0.003, (0.001, 0.5))
    everywhere = crossover("ceiling-like", [(0.001, 0.95), (0.01, 0.99)])
    assert everywhere.seconds == 0.001 and everywhere.below is None
    assert "at every task size swept, down to 1 ms" in everywhere.sentence()
    never = crossover("stock RQ", [(0.001, 0.2), (0.01, 0.6), (1.0, 0.89)])
    assert never.seconds is None and never.best == (1.0, 0.89)
    assert never.sentence() == (
        "stock RQ: never reaches 90 % of the ceiling in the swept range (best: 89 % at 1 s tasks)."
    )


def test_a_line_that_holds_90_percent_but_not_at_the_longest_task_says_where_it_holds() -> None:
    tail = crossover("free-threaded", [(1.7, 0.84), (0.0015, 0.91), (0.147, 1.24), (0.014, 0.98)])
    assert tail.seconds is None and tail.held == (0.0015, 0.147) and tail.longest == (1.7, 0.84)
    assert tail.sentence() == (
        "free-threaded: reaches 90 % of the ceiling with tasks of 1.5 ms to 147 ms, "
        "but not at the longest swept (at 1.7 s: 84 %)."
    )
    # Just short of 90 %: one decimal, so that it does not read as 90 %.
    short = crossover("distributed", [(0.004, 0.78), (0.013, 0.8964), (0.04, 0.95)])
    assert short.sentence().endswith("tasks of 40 ms and longer (at 13 ms: 89.6 %).")
    # Of two runs that hold it, the wider; of two as wide, the one with the longer tasks.
    gaps = crossover("x", [(0.001, 0.95), (0.003, 0.5), (0.01, 0.93), (0.1, 0.6), (1.0, 0.7)])
    assert gaps.held == (0.01, 0.01)
    assert "with tasks of 10 ms, but not" in gaps.sentence()


def test_each_line_in_its_best_configuration_each_configuration_once_a_round() -> None:
    chosen = lines(2)
    assert [(topology.describe(), [line.key for line in group]) for topology, group in groups(chosen)] == [
        ("2 x 1 CPU, pool 1", ["local", "distributed"]),
        ("1 x 2 CPU, pool 2", ["hybrid"]),
        ("2 x 1 CPU, pool 1, stock RQ SimpleWorker", ["peer"]),
    ]
    assert [line.cell.mode for line in chosen] == ["local", "distributed", "hybrid", "distributed"]
    # One CPU: hybrid would be distributed, so it is not a line.
    assert [line.key for line in lines(1)] == ["local", "distributed", "peer"]
    assert [line.key for line in lines(2, ["peer", "local"])] == ["local", "peer"]
    with pytest.raises(ValueError, match="subset of local, distributed, hybrid, peer"):
        lines(2, ["celery"])


def test_the_hybrid_line_can_run_more_consumers_each_with_its_pool() -> None:
    """--hybrid-consumers 2: the fat container runs two consumers (WORKER_CONSUMERS), the others as they
    were; 0 consumers is refused."""
    _, sweep, _ = parse_args(["--budget", "2", "--lines", "local,hybrid", "--hybrid-consumers", "2"])
    local, hybrid = sweep.lines
    assert hybrid.cell.topology.describe() == "1 x 2 CPU, 2 consumers, pool 2"
    assert hybrid.cell.topology.env()["WORKER_CONSUMERS"] == "2"
    assert local.cell.topology.describe() == "2 x 1 CPU, pool 1"
    with pytest.raises(SystemExit):
        parse_args(["--budget", "2", "--hybrid-consumers", "0"])


def test_the_distributed_and_stock_rq_lines_can_run_more_consumers_per_thin_container() -> None:
    """--distributed-consumers 2: each 1-CPU container of distributed and of the stock RQ peer runs two
    consumers; local keeps its own (so it is a stack configuration of its own); 0 is refused."""
    _, sweep, _ = parse_args(
        ["--budget", "2", "--lines", "local,distributed,peer", "--distributed-consumers", "2"]
    )
    local, distributed, peer = sweep.lines
    assert distributed.cell.topology.describe() == "2 x 1 CPU, 2 consumers, pool 1"
    assert peer.cell.topology.describe() == "2 x 1 CPU, 2 consumers, pool 1, stock RQ SimpleWorker"
    assert peer.cell.topology.env()["WORKER_CONSUMERS"] == "2"
    assert local.cell.topology.describe() == "2 x 1 CPU, pool 1"
    assert [[line.key for line in group] for _, group in groups(sweep.lines)] == [
        ["local"],
        ["distributed"],
        ["peer"],
    ]
    with pytest.raises(SystemExit):
        parse_args(["--budget", "2", "--distributed-consumers", "0"])


def test_the_lines_in_one_container_run_beside_the_stacks_lines_never_alone() -> None:
    _, sweep, _ = parse_args(["--budget", "2"])
    assert [line.key for line in sweep.lines] == list(KEYS)
    assert [r.key for r in sweep.runtimes] == ["threads", "processes", "interpreters"]
    _, sweep, _ = parse_args(["--budget", "2", "--lines", "processes,local"])
    assert ([line.key for line in sweep.lines], [r.key for r in sweep.runtimes]) == (["local"], ["processes"])
    # The ceiling is measured with the stack's lines: none of them, no sweep.
    with pytest.raises(SystemExit):
        parse_args(["--budget", "2", "--lines", "threads"])
    assert in_one_record(RUNTIMES["threads"], 2) == SweepLine(
        "threads",
        "threads (GIL) (ThreadPoolExecutor(2), --cpus 2)",
        "-",
        "ThreadPoolExecutor(2), --cpus 2",
        "-",
    )
    assert in_one_record(RUNTIMES["interpreters"], 2).label == (
        "subinterpreters (InterpreterPoolExecutor(2), --cpus 2)"
    )


@pytest.mark.parametrize(
    ("axis", "given", "consumers", "takers"),
    [("task", [], 1, "1"), ("data", [], 2, "1"), ("task", ["DISTRIBUTED_CONSUMERS=2"], 1, "2")],
)
def test_make_sweep_runs_hybrid_with_one_consumer_on_the_task_axis_and_two_on_the_data_axis(
    axis: str, given: list[str], consumers: int, takers: str
) -> None:
    """The Makefile's own command (make -n), read by the sweep's parser: the data axis's fat container
    runs two consumers unless HYBRID_CONSUMERS says otherwise; distributed's thin ones one unless
    DISTRIBUTED_CONSUMERS does."""
    make = require_tool("make")
    found = subprocess.run(
        [make, "--no-print-directory", "-n", "sweep", f"AXIS={axis}", *given],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    command = shlex.split(found.stdout.replace("\\\n", " "))
    _, sweep, _ = parse_args(command[command.index("services.tools.sweep") + 1 :])
    hybrid = next(line for line in sweep.lines if line.key == "hybrid")
    assert hybrid.cell.topology.env()["WORKER_CONSUMERS"] == str(consumers)
    distributed = next(line for line in sweep.lines if line.key == "distributed")
    assert distributed.cell.topology.env()["WORKER_CONSUMERS"] == takers

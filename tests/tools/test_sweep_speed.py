"""A sweep round read at its ceiling's machine speed: the kernel's CPU per task as the gauge, round by round,
and the tables, sentences and chart reading those shares (the raw ones shown beside)."""

from dataclasses import replace

import pytest
from rich.console import Console

from services.tools.loadtest.compare.rows import CeilingRound, RoundRow, RuntimeRound, Throttled
from services.tools.sweep.__main__ import parse_args
from services.tools.sweep.measured import Measured, at_speed
from services.tools.sweep.points import Point
from services.tools.sweep.render import render, sentences
from services.tools.sweep.rows import SweepPoint
from tests.tools.test_sweep_report import spread, sweep_result

TASKS = 100  # 4 jobs x 25 tasks


def ceiling(cpu_per_task: float | None) -> CeilingRound:
    cpu = None if cpu_per_task is None else cpu_per_task * TASKS
    return CeilingRound(4, 2, 25, 1.0, 4.0, 7, [0] * 10, True, 0.9, 10, cpu, 0.01)


def row(index: int, share: float) -> RoundRow:
    throttled = Throttled(0, 0, None, 0.0)
    return RoundRow(index, 4, 4, 0, 4 * share, share, None, None, None, None, throttled, [], {}, "r.json")


def test_a_round_run_while_the_machine_was_slower_is_read_at_its_ceilings_speed() -> None:
    """By hand: the ceiling's processes spent 10 ms of CPU a task; the cell's kernels 12 ms a task, the same
    tasks on a machine 1.2x slower, and it reached 0.75 of the ceiling: 0.75 x 1.2 = 0.9 at its speed."""
    assert at_speed(0.75, 0.012, ceiling(0.010), TASKS) == pytest.approx(0.9)
    # The same speed on both: the share as measured. No CPU on record: no reading.
    assert at_speed(0.75, 0.010, ceiling(0.010), TASKS) == pytest.approx(0.75)
    assert at_speed(0.75, 0.0, ceiling(0.010), TASKS) is None
    assert at_speed(0.75, 0.012, ceiling(None), TASKS) is None


def test_each_round_is_read_against_its_own_rounds_ceiling() -> None:
    """Round 0's ceiling ran at 10 ms a task, round 1's at 20 (the machine half as fast). The cell ran at 12
    ms a task both times and measured 0.5 then 1.0 of its rounds' ceilings: 0.6 both times at their speed.
    A row in one container, likewise: 15 ms a task in round 0 at 0.6 (0.9), 15 in round 1 at 1.2 (0.9)."""
    point = Point(seconds=0.01, size=1000, chunk_size=40, jobs=4)
    done = Measured(
        ceilings=[[ceiling(0.010), ceiling(0.020)]],
        baselines=[[]],
        rows=[{"distributed": [row(0, 0.5), row(1, 1.0)]}],
        per_task=[{"distributed": [{"kernels": 0.012}, {"kernels": 0.012}]}],
        in_one=[
            {
                "threads": [
                    RuntimeRound(0, ceiling(0.015), 0.6, 1.0),
                    RuntimeRound(1, ceiling(0.015), 1.2, 1.0),
                ]
            }
        ],
    )
    assert point.tasks_per_job * point.jobs == TASKS
    found = done.at_ceiling_speed(0, point)
    assert found["distributed"] == {"median": pytest.approx(0.6), "min": 0.6, "max": 0.6, "n": 2}
    assert found["threads"]["median"] == pytest.approx(0.9) and found["threads"]["n"] == 2
    # A row in an image of its own (subinterpreters on 3.14) is read against a Pool in that image, and
    # its kernel CPU is another Python's: no speed reading, its share as measured.
    assert "threads" not in done.at_ceiling_speed(0, point, own_image={"threads"})


def test_the_sweep_reads_no_speed_for_a_line_in_an_image_of_its_own() -> None:
    """`interpreters` runs in the CPython 3.14 image (a compose profile): Measured.point leaves it out."""
    _, sweep, _ = parse_args(["--budget", "2", "--lines", "local,threads,interpreters"])
    assert {r.key: r.profile is not None for r in sweep.runtimes} == {"threads": False, "interpreters": True}


def test_the_tables_and_sentences_read_the_shares_at_the_ceilings_speed() -> None:
    """Distributed measured 55 % at 1.1 ms, but 92 % read at its ceiling's speed: the sentence and the
    first table read 92; the raw table beside still shows 55."""
    result = sweep_result()
    first = replace(result.points[0], at_ceiling_speed={"distributed": spread(0.92)})
    result = replace(result, points=[first, *result.points[1:]])
    assert isinstance(first, SweepPoint) and first.share("distributed", raw=True) == spread(0.55)
    assert (
        sentences(result)[1]
        == "distributed, 2 CPU: reaches 90 % of the ceiling at every task size swept, down to 1.1 ms."
    )
    console = Console(record=True, width=200, color_system=None)
    render(result, console)
    text = console.export_text()
    at_speed_table, raw_table = text.split("shares as measured")[:2]
    first_row = next(r for r in at_speed_table.splitlines() if r.lstrip("│ ").startswith("1.1 ms"))
    raw_row = next(r for r in raw_table.splitlines() if r.lstrip("│ ").startswith("1.1 ms"))
    assert "92 (90–93)" in first_row and "55 (53–56)" in raw_row
    assert "at its ceiling's machine speed" in at_speed_table

"""make compare's rows in one container (threads, ProcessPoolExecutor): a run as a round beside its
ceiling, rounds as a median and range (worked by hand), exactness counted, the report read back and shown;
and worker.ceiling printing, whichever executor runs it, the fields the host reads."""

import dataclasses
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from services.tools.loadtest.chart import comparison_chart
from services.tools.loadtest.compare import rows
from services.tools.loadtest.compare.render import render
from services.tools.loadtest.compare.runtimes import (
    DEFAULT,
    RUNTIMES,
    Versus,
    chosen,
    profiles,
    runtime_round,
    summarise_runtime,
)
from services.tools.loadtest.compare.summary import summarise_ceiling
from tests.reference import sieve_tally
from worker.ceiling import RUNNERS
from worker.runtimes.free_threaded import gil_off_or_why
from worker.runtimes.interpreters import unsupported


def run(jobs_per_second: float, cpu: tuple[float, float], exact: bool = True) -> rows.CeilingRound:
    """Two jobs on two workers, 8 tasks each, as worker.ceiling reports them (the host's checks added)."""
    wall = 2 / jobs_per_second
    return rows.CeilingRound(2, 2, 8, wall, jobs_per_second, 7, [1] * 10, exact, 0.5, 100, *cpu)


def comparison(runtimes: list[rows.RuntimeSummary]) -> rows.Comparison:
    return rows.Comparison(
        "t",
        2,
        rows.WorkloadShape("primes", 1000, 2, 2),
        summarise_ceiling([run(4.0, (1.0, 0.0))]),
        rows.Baselines([rows.Baseline("worker image, 1 CPU", 0.5, 2000.0)]),
        [],
        runtimes,
    )


def test_a_round_is_its_share_of_that_rounds_ceiling_and_the_cores_it_kept_busy() -> None:
    # 2 jobs at 2 jobs/s: 1 s of wall; its threads ran 0.98 s of CPU and the main thread 0.02 s.
    row = runtime_round(run(2.0, (0.98, 0.02)), run(4.0, (1.0, 0.0)), 1)
    assert (row.round, row.of_ceiling, row.cores) == (1, 0.5, 1.0)


def test_rounds_become_a_median_and_range_and_a_wrong_round_counts_no_exact_job() -> None:
    ceilings = [run(4.0, (1.0, 0.0)), run(5.0, (1.0, 0.0)), run(6.0, (1.0, 0.0))]
    runs = [run(2.0, (1.0, 0.0)), run(3.0, (0.6, 0.0), exact=False), run(4.0, (0.5, 0.0))]
    rounds = [runtime_round(r, c, i) for i, (r, c) in enumerate(zip(runs, ceilings, strict=True))]
    summary = summarise_runtime(RUNTIMES["threads"], 2, rounds)
    assert (summary.jobs, summary.exact, summary.all_exact) == (6, 4, False)
    # 2/4, 3/5, 4/6 of the ceiling; 1, 0.9 and 1 core.
    assert summary.of_ceiling == {"median": 0.6, "min": 0.5, "max": 4 / 6, "n": 3}
    assert summary.jobs_per_second == {"median": 3.0, "min": 2.0, "max": 4.0, "n": 3}
    assert summary.cores == {"median": 1.0, "min": 0.9, "max": 1.0, "n": 3}
    assert summary.layout == "ThreadPoolExecutor(2), --cpus 2"
    assert summary.note.endswith("one thread runs at a time: ~1 core of 2"), summary.note
    assert not comparison([summary]).all_exact
    assert comparison([replace(summary, exact=6)]).all_exact


def test_the_rows_read_back_from_the_report_and_show_under_the_ceiling(tmp_path: Path) -> None:
    threads = summarise_runtime(
        RUNTIMES["threads"], 2, [runtime_round(run(2.0, (1.0, 0.0)), run(4.0, (1.0, 0.0)), 0)]
    )
    processes = summarise_runtime(
        RUNTIMES["processes"], 2, [runtime_round(run(3.8, (1.0, 0.05)), run(4.0, (1.0, 0.0)), 0)]
    )
    result = comparison([threads, processes])
    assert rows.load(json.loads(json.dumps(result.as_json()))) == result
    # A report from before these rows reads back with none.
    older = result.as_json()
    del older["runtimes"]
    assert rows.load(older).runtimes == []
    console = Console(record=True, width=250, file=io.StringIO(), color_system=None)
    render(result, console)
    lines = console.export_text().splitlines()
    shown = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if "Executor(2)" in line]
    assert [row[:9] for row in shown] == [
        ["threads (GIL)", "ThreadPoolExecutor(2), --cpus 2", "-", "2/2", "2.00", "50", "50", "", "1.00"],
        ["ProcessPoolExecutor", "ProcessPoolExecutor(2), --cpus 2", "-", "2/2", "3.80", "95", "50", ""]
        + ["2.00"],
    ]
    assert shown[0][11].startswith("counter-example")
    assert lines.index(next(line for line in lines if "bare Pool(2)" in line)) < lines.index(
        next(line for line in lines if "threads (GIL)" in line)
    )
    # In the chart too, as bars of their own.
    drawn = comparison_chart(result, tmp_path / "c.png")
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rows_are_chosen_by_key_in_one_order() -> None:
    assert [r.key for r in chosen(["processes", "threads"])] == ["threads", "processes"]
    assert chosen([]) == []
    with pytest.raises(ValueError, match="subset of threads, processes, interpreters"):
        chosen(["greenlets"])


def test_every_executor_prints_the_ceilings_fields_which_make_compare_reads() -> None:
    """The host reads each run as a CeilingRound (less what it adds), whichever executor ran it."""
    read = {f.name for f in dataclasses.fields(rows.CeilingRound)} - {"exact", "efficiency"} | {"all_equal"}
    # Subinterpreters only on CPython 3.14 (elsewhere: a clear error, tests/worker/test_runtimes.py).
    # Free-threaded only on a free-threaded build (elsewhere: a clear error, test_free_threaded.py).
    runs = {"interpreters": not unsupported(), "free-threaded": not gil_off_or_why()}
    for executor in [e for e in RUNNERS if runs.get(e, True)]:
        run = subprocess.run(
            [sys.executable, "-m", "worker.ceiling", "primes", "20000", "2", "2", "--executor", executor],
            capture_output=True,
            text=True,
            check=True,
        )
        printed = json.loads(run.stdout.strip().splitlines()[-1])
        assert set(printed) == read, (executor, printed)
        assert printed["all_equal"] and printed["count"] == sieve_tally(0, 20_000).count


def test_the_subinterpreters_row_runs_in_its_own_profiles_image_which_the_tools_build() -> None:
    """Threads and the ProcessPoolExecutor run in the stack's worker image; subinterpreters in the
    worker-py314 image (profile py314), which compare and sweep build with the stack's when chosen."""
    interpreters = RUNTIMES["interpreters"]
    assert (interpreters.profile, interpreters.service) == ("py314", "worker-py314")
    assert profiles(chosen(["threads", "processes"])) == []
    assert profiles(chosen(["interpreters", "threads"])) == ["py314"]
    note = interpreters.note.format(budget=2)
    for said in ("3.14", "os.process_cpu_count() + 4", "own GIL", "pickled"):
        assert said in note, (said, note)
    assert interpreters.layout(2) == "InterpreterPoolExecutor(2), --cpus 2"


def test_the_free_threaded_row_builds_its_base_reads_one_thread_against_3_14_runs_when_asked() -> None:
    """Its image (worker-py314t) is built on a base compiled from CPython's source, by a script the tools
    run first; its single-thread speed is read against the CPython 3.14 image's, so both profiles build."""
    free = RUNTIMES["free-threaded"]
    assert (free.profile, free.service, free.versus) == (
        "py314t",
        "worker-py314t",
        Versus("worker-py314", "py314", "CPython 3.14"),
    )
    assert free.reports_gil and not any(r.reports_gil or r.versus for r in RUNTIMES.values() if r is not free)
    assert free.base_builder is not None and free.base_builder.is_file()
    assert profiles(chosen(["free-threaded"])) == ["py314", "py314t"]
    assert "free-threaded" not in DEFAULT and set(DEFAULT) < set(RUNTIMES)
    for said in ("3.14t", "threading.Lock", "GIL checked off", "not the RQ consumer", "hiredis"):
        assert said in free.note, (said, free.note)


def test_the_single_thread_ratio_is_kept_per_round_summarised_in_the_note_and_read_back() -> None:
    ceiling = run(4.0, (1.0, 0.0))
    ran = replace(run(3.6, (1.9, 0.0)), gil_enabled=False)
    rounds = [runtime_round(ran, ceiling, i, ratio) for i, ratio in enumerate([0.8, 0.9, 0.7])]
    summary = summarise_runtime(RUNTIMES["free-threaded"], 2, rounds)
    assert summary.single_thread == {"median": 0.8, "min": 0.7, "max": 0.9, "n": 3}
    assert summary.note.endswith("; one thread at 80 (70–90) % of CPython 3.14's speed"), summary.note
    result = comparison([summary])
    assert rows.load(json.loads(json.dumps(result.as_json()))) == result
    # The other rows measure no such ratio and say nothing of it.
    threads = summarise_runtime(RUNTIMES["threads"], 2, [runtime_round(run(2.0, (1.0, 0.0)), ceiling, 0)])
    assert threads.single_thread is None and "one thread at" not in threads.note

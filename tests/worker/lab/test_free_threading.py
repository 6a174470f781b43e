"""The lab's free-threading experiment on the host's Python (3.11, a GIL build): every lock granularity's
total exact, the GIL reported on, and a wrong total reported WRONG. With the GIL off it runs in the
worker-py314t image (`docker run ... python -m worker.lab --quick --only free-threading`)."""

import sysconfig
import threading
from collections.abc import Callable
from types import TracebackType

import pytest

from tests.worker.lab import run_lab
from worker.lab import free_threading
from worker.lab.defaults import CONTENDERS, QUICK
from worker.lab.experiments import EXPERIMENTS
from worker.lab.free_threading import BATCH, PER_BATCH, Gil, SharedTally, closed_form, explain, timed

gil_build = pytest.mark.skipif(
    bool(sysconfig.get_config_var("Py_GIL_DISABLED")), reason="this Python is a free-threaded build"
)


class CountingLock:
    """A threading.Lock that counts how often it was taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self.taken += 1  # under the lock: exact

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._lock.release()


def test_closed_form_is_the_sum_of_squares() -> None:
    assert [closed_form(n) for n in (0, 1, 2, 1001)] == [
        sum(i * i for i in range(n)) for n in (0, 1, 2, 1001)
    ]


@pytest.mark.parametrize(
    ("work", "taken"),
    [(free_threading.per_item, 2_500), (free_threading.per_batch, 3), (free_threading.per_thread, 1)],
)
def test_each_granularity_takes_the_lock_as_often_as_it_says(
    work: Callable[[SharedTally, int, int], None], taken: int
) -> None:
    assert BATCH == 1000  # the per-batch count below assumes it
    tally = SharedTally()
    tally.lock = CountingLock()  # type: ignore[assignment]
    work(tally, 10, 2_510)
    assert (tally.total, tally.lock.taken) == (closed_form(2_510) - closed_form(10), taken)


@pytest.mark.parametrize("threads", [1, 3, 7])
def test_threads_split_every_item_between_them_exactly_once(threads: int) -> None:
    for work in free_threading.VARIANTS.values():
        total, seconds = timed(work, threads, 10_001)
        assert total == closed_form(10_001) and seconds > 0


@gil_build
def test_on_a_gil_build_every_total_is_exact_and_the_gil_reported_on() -> None:
    result = free_threading.run(QUICK)
    items = QUICK.increments * CONTENDERS
    assert result.ok and len(result.facts) == 4, result.facts
    assert result.figures["build"].startswith("with a GIL (Py_GIL_DISABLED="), result.figures
    assert result.figures["GIL"].startswith("on ("), result.figures
    assert result.figures[f"1 thread, {items:,} items"].endswith(", exact"), result.figures
    for name in free_threading.VARIANTS:
        assert result.figures[f"{CONTENDERS} threads, {name}"].endswith(" of 1 thread, exact"), result.figures
    assert result.headline.startswith(f"GIL on: {CONTENDERS} threads "), result.headline
    assert result.notes[0].startswith("the GIL was on (a build with a GIL)"), result.notes
    assert "worker-py314t" in result.notes[-2], result.notes


def test_a_wrong_total_fails_its_fact_and_says_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    def loses_each_threads_first_item(tally: SharedTally, lo: int, hi: int) -> None:
        free_threading.per_batch(tally, lo + 1, hi)

    monkeypatch.setitem(free_threading.VARIANTS, PER_BATCH, loses_each_threads_first_item)
    result = free_threading.run(QUICK)
    assert not result.ok
    assert [label for label, held in result.facts.items() if not held] == [f"{PER_BATCH}: total = 1 thread's"]
    items = QUICK.increments * CONTENDERS
    lost = sum((items * k // CONTENDERS) ** 2 for k in range(CONTENDERS))
    wrong = f", WRONG: {closed_form(items) - lost:,}, not {closed_form(items):,}"
    assert result.figures[f"{CONTENDERS} threads, {PER_BATCH}"].endswith(wrong), result.figures


def test_the_explanation_follows_what_was_seen_and_measured() -> None:
    off = Gil(free_threaded_build=True, enabled=False, build="", now="")
    contended = explain(off, item=0.3, batch=1.9, merged=1.95, cpus=2)
    assert contended[0].startswith("the GIL was off") and "batch measured 1.9x" in contended[0], contended
    assert len(contended) == 2 and "contend for it on every item" in contended[1], contended
    busy = explain(off, item=1.0, batch=1.05, merged=1.1, cpus=1)
    assert "1 usable CPU(s) (at most 1x" in busy[0] and "no parallel speedup measured" in busy[1], busy
    assert "little contention" in busy[2], busy
    turned_on = explain(Gil(True, True, "", ""), item=0.3, batch=1.0, merged=1.0, cpus=2)
    assert turned_on[0].startswith("the GIL was on (a free-threaded build, but PYTHON_GIL=1"), turned_on
    assert len(turned_on) == 2 and "worker-py314t" in turned_on[1], turned_on
    # More than 1x under the GIL: the 1-thread runs were slowed, and the note says so, not "parallel".
    noisy = explain(Gil(False, True, "", ""), item=0.2, batch=1.37, merged=1.4, cpus=2)
    assert noisy[0].startswith("the GIL was on (a build with a GIL)"), noisy
    assert len(noisy) == 3 and noisy[1].startswith("1.4x with the GIL on is not parallelism"), noisy


def test_it_runs_after_interpreters() -> None:
    names = list(EXPERIMENTS)
    assert names.index("free-threading") == names.index("interpreters") + 1
    assert EXPERIMENTS["free-threading"] is free_threading.run


@gil_build
def test_the_lab_cli_runs_it_and_prints_it() -> None:
    proc = run_lab("free-threading")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"| free-threading | GIL on: {CONTENDERS} threads " in proc.stdout, proc.stdout
    assert "✓ lock per item: total = 1 thread's" in proc.stdout, proc.stdout

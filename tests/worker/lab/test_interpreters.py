"""The interpreters experiment on a Python without subinterpreters (the host's 3.11): it says what runs
it and measures nothing. On CPython 3.14 it runs in tests/e2e/test_interpreters.py, in the py314 image."""

from worker.lab import interpreters
from worker.lab.defaults import QUICK
from worker.lab.experiments import EXPERIMENTS


def test_without_subinterpreters_it_says_what_runs_it_and_measures_nothing() -> None:
    result = interpreters.run(QUICK)
    assert result.headline.startswith("not run: --executor interpreters needs CPython 3.14"), result.headline
    assert (result.figures, result.facts) == ({}, {})
    assert "worker-py314" in result.notes[0]
    assert EXPERIMENTS["interpreters"] is interpreters.run

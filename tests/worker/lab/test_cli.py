"""The command line: names are checked, and a real run of the fast experiments passes."""

import pytest

from tests.worker.lab import run_lab
from worker.lab import cli
from worker.lab.experiments import EXPERIMENTS


def test_only_accepts_commas_and_repeats() -> None:
    assert cli.parse(["--only", "cpus,pool", "--only", "event"]).names == ["cpus", "pool", "event"]
    assert cli.parse([]).names == list(EXPERIMENTS)


def test_unknown_experiment_is_an_error() -> None:
    with pytest.raises(SystemExit):
        cli.parse(["--only", "threads"])


def test_quick_run_of_fast_experiments_exits_zero() -> None:
    proc = run_lab("cpus,process,semaphore")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| semaphore |" in proc.stdout

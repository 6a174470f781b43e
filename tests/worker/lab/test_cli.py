"""The command line: names are checked, and a real run of the fast experiments passes."""

import subprocess
import sys

import pytest

from worker.lab import cli
from worker.lab.experiments import EXPERIMENTS


def test_only_accepts_commas_and_repeats() -> None:
    assert cli.parse(["--only", "cpus,pool", "--only", "event"]).names == ["cpus", "pool", "event"]
    assert cli.parse([]).names == list(EXPERIMENTS)


def test_unknown_experiment_is_an_error() -> None:
    with pytest.raises(SystemExit):
        cli.parse(["--only", "threads"])


def test_quick_run_of_fast_experiments_exits_zero() -> None:
    # A real `python -m worker.lab`: its spawn children re-import the main module, as users' would.
    proc = subprocess.run(
        [sys.executable, "-m", "worker.lab", "--quick", "--only", "cpus,process,semaphore", "--markdown"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| semaphore |" in proc.stdout

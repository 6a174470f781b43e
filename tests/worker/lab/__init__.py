"""The lab's tests, and how they run it as a user does."""

import subprocess
import sys


def run_lab(only: str) -> subprocess.CompletedProcess:
    """A real `python -m worker.lab --quick --only ONLY --markdown` (its spawn children re-import the main
    module, as users' would): its exit status and what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "worker.lab", "--quick", "--only", only, "--markdown"],
        capture_output=True,
        text=True,
        timeout=60,
    )

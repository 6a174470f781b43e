"""`python -m worker.ceiling` as make compare and make sweep run it: in a fresh process of its own.

Its Pool forks; forked in the test process, a child could inherit a lock another thread of that process
held at the fork (pytest's, an earlier test's) and never exit, and the Pool's exit would wait on it for
good. A process of its own has no other thread.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def ceiling(*args: str | int) -> dict[str, Any]:
    """The JSON `python -m worker.ceiling ARGS` prints."""
    command = [sys.executable, "-m", "worker.ceiling", *map(str, args)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)

"""`python -m services.tools.bench --quick` runs end to end on host processes and writes its JSON report."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import require_tool

pytestmark = pytest.mark.integration


def test_quick_bench_runs_and_writes_its_report(tmp_path: Path) -> None:
    require_tool("redis-server")
    result = subprocess.run(
        [sys.executable, "-m", "services.tools.bench", "--quick", "--reports", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [path] = tmp_path.glob("bench-*.json")
    report = json.loads(path.read_text())
    assert report["targets"]["every job finished with the exact answer"]
    for figure in ("overhead", "efficiency", "aggregation", "enqueue", "pools", "api", "watchers"):
        assert figure in report
    assert report["overhead"]["ours"]["per_job_seconds"] > 0
    assert "targets" in result.stdout
